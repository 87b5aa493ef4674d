"Which precision the package trains in: forced choices, the automatic choice (with the measurement faked), bad values."
import pytest
import torch
import hiercifar.device as M
from hiercifar.models import multihead_cnn
from hiercifar.models import choose_precision, precision_dtype, autocast_dtype, BF16_MIN_SPEEDUP

@pytest.fixture
def cpu(monkeypatch):
    "A CPU without AMX whose oneDNN runs bf16, and whose bf16 speed-up is whatever the test sets."
    calls = []
    def fake(): calls.append(1); return fake.speedup
    monkeypatch.setattr(M, 'cpu_has_amx', lambda: False)
    monkeypatch.setattr(M, 'cpu_bf16_supported', lambda: True)
    monkeypatch.setattr(M, 'cpu_bf16_speedup', fake)
    fake.calls = calls
    return fake

@pytest.mark.parametrize('speedup,expected', [(0.58, 'fp32'), (1.0, 'fp32'), (BF16_MIN_SPEEDUP - 0.01, 'fp32'),
                                              (BF16_MIN_SPEEDUP, 'bf16'), (2.5, 'bf16')])
def test_auto_on_cpu_follows_the_measurement(cpu, speedup, expected):
    cpu.speedup = speedup
    assert choose_precision('cpu') == expected
    assert autocast_dtype('cpu') == precision_dtype(expected)

def test_auto_never_picks_a_mode_measured_slower(cpu):
    for s in (0.1, 0.5, 0.9, 0.99, 1.0):
        cpu.speedup = s
        assert choose_precision('cpu', 'auto') == 'fp32'

def test_forced_choice_is_honoured(cpu):
    cpu.speedup = 0.5                                      # bf16 measured twice as slow here…
    assert choose_precision('cpu', 'bf16') == 'bf16'       # …but the user asked for it
    cpu.speedup = 3.0
    assert choose_precision('cpu', 'fp32') == 'fp32'
    assert cpu.calls == []                                 # a forced choice measures nothing
    assert precision_dtype('bf16') is torch.bfloat16 and precision_dtype('fp32') is None

def test_amx_is_measured_too(cpu, monkeypatch):
    "AMX is measured too, never assumed: the same AMX machine measured bf16 2.6x faster when idle and slower when busy."
    monkeypatch.setattr(M, 'cpu_has_amx', lambda: True)
    cpu.speedup = 0.5
    assert choose_precision('cpu') == 'fp32' and cpu.calls == [1]
    cpu.speedup = 2.0
    assert choose_precision('cpu') == 'bf16'

def test_cpu_without_bf16(cpu, monkeypatch):
    monkeypatch.setattr(M, 'cpu_bf16_supported', lambda: False)
    cpu.speedup = 9.
    assert choose_precision('cpu') == 'fp32' and cpu.calls == []
    with pytest.raises(ValueError, match="not supported by this CPU"): choose_precision('cpu', 'bf16')

@pytest.mark.parametrize('cc,auto', [((7, 5), 'fp16'), ((8, 0), 'bf16'), ((9, 0), 'bf16')])
def test_cuda_by_compute_capability(monkeypatch, cc, auto):
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: cc)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: True)   # what a T4 says: not trusted
    assert choose_precision('cuda') == auto
    assert choose_precision('cuda', 'fp16') == 'fp16' and choose_precision('cuda', 'fp32') == 'fp32'
    if cc < (8, 0):
        with pytest.raises(ValueError, match=r"compute capability 8\.0 or newer.*7\.5"): choose_precision('cuda', 'bf16')
    else: assert choose_precision('cuda', 'bf16') == 'bf16'

@pytest.mark.parametrize('bad', ['half', 'FP32', 'float16', '', None])
def test_bad_values_one_clear_error(bad):
    with pytest.raises(ValueError, match=r"precision must be one of 'auto', 'fp32', 'bf16', 'fp16', got"): choose_precision('cpu', bad)

def test_device_cannot_run_it():
    with pytest.raises(ValueError, match="'fp16' is for CUDA GPUs"): choose_precision('cpu', 'fp16')
    with pytest.raises(ValueError, match="only supported on CPU and CUDA"): choose_precision('meta', 'bf16')
    assert choose_precision('meta') == 'fp32'

def test_the_real_choice_matches_the_real_measurement():
    "On this machine, whatever it is: 'auto' picks bf16 exactly when bf16 measured faster enough."
    if not M.cpu_bf16_supported(): assert choose_precision('cpu') == 'fp32'; return
    assert choose_precision('cpu') == ('bf16' if M.cpu_bf16_speedup() >= BF16_MIN_SPEEDUP else 'fp32')

def test_learner_precision(cpu):
    from hiercifar.hierarchy import Hierarchy
    from hiercifar.data import synthetic_cifar100, Part
    from hiercifar.learner import Learner, DataLoaders
    from hiercifar.losses import get_loss
    h = Hierarchy.cifar100()
    g = synthetic_cifar100(1, 1, seed=0)
    dls = DataLoaders.from_parts(Part(*g['train'], h), Part(*g['test'], h), bs=50, device='cpu')
    mk = lambda **kw: Learner(multihead_cnn(h, widths=(4, 4, 4), fc=8), dls, get_loss('multihead', h), h, **kw)
    cpu.speedup = 2.0
    assert mk().precision == 'bf16' and mk().amp_dtype is torch.bfloat16
    assert mk(precision='fp32').amp_dtype is None
    assert mk(amp=False).precision == 'fp32'                       # the older spelling still works
    cpu.speedup = 0.6
    assert mk().precision == 'fp32'
    with pytest.raises(ValueError, match="'fp16' is for CUDA GPUs"): mk(precision='fp16')

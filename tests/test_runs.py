"Trustworthy runs: a results folder holds one run, checkpoints never run code, every bad input gets one line before any work."
import json, os, re, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
import torch
from hiercifar.data import write_synthetic_cifar100, load_cifar100, CIFAR_DIR, py2_pickle
from hiercifar.experiments import *
from hiercifar import cli

TINY = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=1, bs=128, device='cpu')   # a tiny CNN: runs in seconds

def snapshot(out): return {f: (out/f).read_bytes() for f in RUN_FILES}

def test_a_rerun_with_other_settings_or_data_is_refused(data, tmp_path):
    out = tmp_path/'r'
    _, m = train(Config(**TINY), data, out, progress=False)
    before = snapshot(out)
    for change, what in [(dict(loss='hce', lr=0.05), "loss 'multihead' → 'hce'; lr 0.002 → 0.05"), (dict(epochs=2), 'epochs 1 → 2'),
                         (dict(model='cnn1'), "model 'cnn' → 'cnn1'"), (dict(bs=64), 'bs 128 → 64'), (dict(seed=3), 'seed 0 → 3')]:
        with pytest.raises(RunFolderError, match=re.escape(what)): train(Config(**{**TINY, **change}), data, out, progress=False)
    root = out.parent/'other'; write_synthetic_cifar100(root, n_train=4, n_test=1, seed=1)
    with pytest.raises(RunFolderError, match='data fingerprint'): train(Config(**TINY), load_cifar100(root), out, progress=False)
    assert snapshot(out) == before                                    # refused before touching anything
    _, again = train(Config(**TINY, compile=False), data, out, progress=False)   # same run: finished, its results kept
    assert again == m == json.loads((out/'metrics.json').read_text()) and snapshot(out)['checkpoint.pt'] == before['checkpoint.pt']

def test_restart_replaces_and_extend_continues(data, tmp_path, capsys):
    out = tmp_path/'r'
    train(Config(**TINY), data, out, progress=False)
    _, m = train(Config(**{**TINY, 'loss': 'hce', 'lr': 0.01}), data, out, progress=False, restart=True)
    cfg = json.loads((out/'config.json').read_text())
    assert (cfg['loss'], cfg['lr'], m['epochs_run']) == ('hce', 0.01, 1)
    ex = dict(TINY, sched='exp')
    train(Config(**ex), data, out, progress=False, restart=True)
    with pytest.raises(RunFolderError, match=r'extend=True \(--extend\)'): train(Config(**{**ex, 'epochs': 3}), data, out, progress=False)
    _, m = train(Config(**{**ex, 'epochs': 3}), data, out, progress=False, extend=True)
    assert m['epochs_run'] == 3 and 'resuming from epoch 1 of 3' in capsys.readouterr().out
    _, straight = train(Config(**{**ex, 'epochs': 3}), data, tmp_path/'straight', progress=False)
    assert m['argmax'] == straight['argmax']                          # extending = training 3 epochs in one go (exp schedule)
    with pytest.raises(RunFolderError, match='one-cycle schedule'):
        train(Config(**TINY), data, tmp_path/'oc', progress=False); train(Config(**{**TINY, 'epochs': 2}), data, tmp_path/'oc', progress=False, extend=True)

def test_interrupted_run_resumes_and_says_so(data, tmp_path, capsys):
    from hiercifar.learner import Callback, CancelFitException
    class Crash(Callback):
        order = 100
        def after_epoch(self, learn):
            if not learn.training and learn.epoch == 0: raise CancelFitException()
    cfg = Config(**{**TINY, 'epochs': 2})
    out = tmp_path/'r'
    train(cfg, data, out, progress=False, cbs=[Crash()])           # "killed" after epoch 0, results not written
    (out/'metrics.json').unlink(missing_ok=True)
    (out/'history.csv.x1y2.tmp').write_text('half a file')          # what a kill during a write leaves
    _, m = train(cfg, data, out, progress=False)
    assert 'resuming from epoch 1 of 2' in capsys.readouterr().out
    assert m['epochs_run'] == 2 and not list(out.glob('*.tmp'))
    _, straight = train(cfg, data, tmp_path/'straight', progress=False)
    assert m['argmax'] == straight['argmax']

def test_folder_name_encodes_every_setting(data):
    a, b = run_folder(Config(**TINY), data), run_folder(Config(**{**TINY, 'epochs': 3}), data)
    assert a != b and a.name.startswith('synthetic-cnn-split0.8-multihead-seed0-')
    assert run_folder(Config(**{**TINY, 'device': None}), data) == a  # the device is how, not what
    assert run_folder(Config(**{**TINY, 'compile': 'on'}), data) == a and Config(**{**TINY, 'compile': 'on'}).compile is True
    with pytest.raises(ConfigError, match=r"compile must be 'auto', 'on' or 'off' \(or True / False\), got 1"): Config(**{**TINY, 'compile': 1})

def test_grid_refuses_other_settings_before_training(data, tmp_path):
    kw = dict(splits=(0.8,), losses=('multihead', 'hce'), progress=False, verbose=False)
    run_experiments(data, tmp_path, **kw, **TINY)
    stamp = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/*')}
    with pytest.raises(RunFolderError, match='epochs 1 → 2'): run_experiments(data, tmp_path, **kw, **{**TINY, 'epochs': 2})
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/*')} == stamp
    with pytest.raises(ConfigError, match='at least one split, one loss and one seed'): run_experiments(data, tmp_path, splits=(), **TINY)
    with pytest.raises(ConfigError, match='cannot take the setting'): run_experiments(data, tmp_path, loss='hce', **TINY)
    with pytest.raises(ConfigError, match='bs'): run_experiments(data, tmp_path, **{**TINY, 'bs': 0})

LOCKED_RUN = '''
import sys, time
from pathlib import Path
from hiercifar.data import load_cifar100
from hiercifar.experiments import Config, train
from hiercifar.learner import Callback
class WaitForOther(Callback):   # holds the folder until the other process has tried it
    def after_epoch(self, learn):
        t0 = time.time()
        while not Path(sys.argv[3]).exists() and time.time() - t0 < 120: time.sleep(0.1)
train(Config(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=2, bs=128, device='cpu', lr=0.004), load_cifar100(sys.argv[1]),
      sys.argv[2], progress=False, cbs=[WaitForOther()])
'''

def test_two_runs_on_one_folder(data, tmp_path):
    "The second run is refused in one line while the first holds the folder; the folder ends with one complete, consistent run."
    out, go = tmp_path/'r', tmp_path/'go'
    a = subprocess.Popen([sys.executable, '-c', LOCKED_RUN, str(data.root.parent), str(out), str(go)], stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (out/'config.json').exists() and time.time() - t0 < 120: time.sleep(0.1)
    b = subprocess.run([sys.executable, '-c', 'from hiercifar.cli import train_main; train_main()', '--data', str(data.root.parent),
                        '--offline', '--out', str(out), '--loss', 'hce', '--epochs', '1', '--device', 'cpu'],
                       capture_output=True, text=True, timeout=300)
    go.touch()
    assert a.wait(timeout=300) == 0, a.stderr.read()
    assert b.returncode == 2 and b.stderr.strip().splitlines() == [f'error: {out} is in use by another run; wait for it to finish, or write to another folder']
    cfg, m = json.loads((out/'config.json').read_text()), json.loads((out/'metrics.json').read_text())
    assert (cfg['loss'], cfg['lr'], cfg['epochs'], m['epochs_run']) == ('multihead', 0.004, 2, 2)
    assert len((out/'history.csv').read_text().strip().splitlines()) == 3

# ---- every command, every bad input: exit status 2, one line on stderr, no traceback --------------------------------------

@pytest.fixture(scope='module')
def bad(tmp_path_factory):
    "Folders and files for the bad-input table: generated data, corrupt copies, a file where a folder should be, a bad checkpoint."
    t = tmp_path_factory.mktemp('bad')
    (t/'afile').write_text('not a folder')
    write_synthetic_cifar100(t/'good', 2, 1)
    d = load_cifar100(t/'good')
    raw = dict(filenames=['a', 'b', 'c'], batch_label='x', fine_labels=[0, 1, 2], coarse_labels=[4, 1, 14],
               data=np.zeros((3, 3072), np.uint8))
    for name, change in [('int_coarse', dict(coarse_labels=7)), ('fine_2d', dict(fine_labels=[[0], [1], [2]])),
                         ('short_names', dict(filenames=['a'])), ('float_fine', dict(fine_labels=[0.5, 1., 2.]))]:
        write_synthetic_cifar100(t/name, 1, 1)
        (t/name/CIFAR_DIR/'test').write_bytes(py2_pickle({**raw, **change}) if name != 'float_fine' else
                                               __import__('pickle').dumps({**raw, 'fine_labels': np.array([0.5, 1., 2.])}, protocol=2))
    write_synthetic_cifar100(t/'truncated', 1, 1)
    f = t/'truncated'/CIFAR_DIR/'train'; f.write_bytes(f.read_bytes()[:-100])
    from hiercifar.datasets import write_synthetic_cifar10, write_synthetic_stl10, STL_DIR
    write_synthetic_cifar10(t/'c10', 1, 1)
    write_synthetic_stl10(t/'stl_trunc', 1, 1, n_unlabeled=0)
    f = t/'stl_trunc'/STL_DIR/'train_X.bin'; f.write_bytes(f.read_bytes()[:-100])
    cfg = Config(split='official', epochs=1, bs=100, device='cpu')      # what `hiercifar-train` below asks for
    with open_run(t/'badckpt', cfg, d): pass
    (t/'badckpt'/'checkpoint.pt').write_bytes(b'\x80\x02garbage')
    return t

TRAIN = ['--data', '{t}/good', '--offline', '--split', 'official', '--epochs', '1', '--bs', '100', '--device', 'cpu', '--out', '{t}/out']
CASES = [  # (command, arguments that replace or extend the valid ones above, what the one line must say)
    ('train', ['--epochs', 'abc'], "argument --epochs: invalid int value: 'abc' (see hiercifar-train --help)"),
    ('train', ['--nonsense', '1'], 'unrecognized arguments: --nonsense 1'),
    ('train', ['--loss', 'mse'], "unknown loss 'mse'"),
    ('train', ['--model', 'vgg'], "unknown model 'vgg'"),
    ('train', ['--split', '1.5'], "split must be 'official' or a train fraction between 0 and 1"),
    ('train', ['--split', 'nan'], "split must be 'official' or a train fraction"),
    ('train', ['--split', '0.0001'], 'leaves the training part empty'),
    ('train', ['--split', '0.9999'], 'leaves the validation part empty'),
    ('train', ['--split', '0.8', '--data', 'synthetic', '--n_train', '1', '--n_test', '1', '--root', '{t}/gen'],
     'split 0.8 of 200 images leaves the validation part empty'),                # 1 + 1 images per class: nothing left to validate
    ('train', ['--epochs', '0'], 'epochs must be a whole number ≥ 1, got 0'),
    ('train', ['--bs', '0'], 'bs (batch size) must be a whole number ≥ 1, got 0'),
    ('train', ['--lr', 'inf'], 'lr (learning rate) must be a finite number > 0, got inf'),
    ('train', ['--lr', '0'], 'lr (learning rate) must be a finite number > 0'),
    ('train', ['--compile', 'fast'], "compile must be 'auto', 'on' or 'off' (or True / False), got 'fast'"),
    ('train', ['--lr', 'nan'], 'lr (learning rate) must be a finite number > 0, got nan'),
    ('train', ['--sched', 'cosine'], "sched must be one of onecycle, exp, plateau, got 'cosine'"),
    ('train', ['--imbalance', '0.5'], 'imbalance (largest / smallest class; 1 keeps the data balanced) must be a finite number ≥ 1, got 0.5'),
    ('train', ['--imbalance', 'nan'], 'must be a finite number ≥ 1, got nan'),
    ('train', ['--patience', '-1'], 'patience must be a whole number ≥ 0, got -1'),
    ('train', ['--seed', '99999999999999'], 'seed must be a whole number ≥ 0 and ≤ 4,294,967,295'),
    ('train', ['--seed', '-1'], 'seed must be a whole number ≥ 0'),
    ('train', ['--severity', '1,-2,3'], 'must be finite and non-negative'),
    ('train', ['--severity', 'nan,1,1'], 'must be finite and non-negative'),
    ('train', ['--severity', '1,2'], '--severity must be 3 comma-separated numbers'),
    ('train', ['--severity', 'a,b,c'], '--severity must be 3 comma-separated numbers'),
    ('train', ['--head_weights', '0,0,0'], 'cannot all be zero'),
    ('train', ['--multipliers', '1,2,4'], '--multipliers applies to --loss hce, not to --loss multihead'),
    ('train', ['--loss', 'hce', '--multipliers', '1,2'], '--multipliers must be 3 comma-separated numbers'),
    ('train', ['--loss', 'severity', '--form', 'guessed'], "form must be 'expected' or 'predicted', got 'guessed'"),
    ('train', ['--loss', 'severity', '--lam', '-1'], 'λ (weight of the expected severity)'),
    ('train', ['--loss', 'hxe', '--alpha', '-1'], 'α'),
    ('train', ['--loss', 'soft', '--beta', 'nan'], 'β'),
    ('train', ['--loss', 'focal', '--gamma', '-1'], 'γ'),
    ('train', ['--beta', '4'], '--beta applies to --loss soft'),
    ('train', ['--device', 'tpu'], "unknown device 'tpu'"),
    ('train', ['--precision', 'fp8'], "precision must be one of 'auto', 'fp32', 'bf16', 'fp16', got 'fp8'"),
    ('train', ['--precision', 'fp16'], "precision='fp16' is for CUDA GPUs"),
    ('train', ['--device', 'cuda:7'] if torch.cuda.is_available() else ['--device', 'cuda'], 'cuda'),
    ('train', ['--data', 'synthetic', '--n_train', '0', '--root', '{t}/gen'], 'n_train (generated images per class) must be a whole number from 1 to 10000, got 0'),
    ('train', ['--data', 'synthetic', '--n_test', '-3', '--root', '{t}/gen'], 'n_test (generated images per class)'),
    ('train', ['--data', 'synthetic', '--root', '{t}/afile/gen', '--n_train', '1'], 'cannot write the generated data under'),
    ('train', ['--data', '{t}/afile'], "is a file; give the folder that holds (or will hold) cifar-100-python/, or 'synthetic'"),
    ('train', ['--data', '{t}/nothing'], 'No CIFAR-100 data at'),
    ('train', ['--download'], '--download and --offline contradict each other'),
    ('train', ['--data', '{t}/int_coarse'], "'coarse_labels' must be a list of whole numbers, one per image, got int"),
    ('train', ['--data', '{t}/fine_2d'], "'fine_labels' must be a list of whole numbers, one per image, got 2-d int64 labels"),
    ('train', ['--data', '{t}/short_names'], '3 images but 1 file names'),
    ('train', ['--data', '{t}/float_fine'], "got 1-d float64 labels"),
    ('train', ['--data', '{t}/truncated'], 'train is truncated or corrupt'),
    ('train', ['--out', '{t}/afile'], 'cannot use {t}/afile as a results folder'),
    ('train', ['--out', '{t}/afile/run'], 'cannot use {t}/afile/run as a results folder'),
    ('train', ['--out', '{t}/badckpt'], 'cannot read checkpoint {t}/badckpt/checkpoint.pt'),
    ('train', ['--out', '{t}/badckpt', '--lr', '0.01'], '{t}/badckpt holds a run with other settings (lr 0.002 → 0.01)'),
    ('experiments', ['--losses', ''], '--losses must name at least one'),
    ('experiments', ['--seeds', ''], '--seeds must name at least one'),
    ('experiments', ['--seeds', 'x'], '--seeds must be a comma-separated list'),
    ('experiments', ['--losses', 'multihead,nope'], "unknown loss 'nope'"),
    ('experiments', ['--splits', '0.8,2'], "split must be 'official' or a train fraction"),
    ('experiments', ['--bs', '0'], 'bs (batch size) must be a whole number ≥ 1'),
    ('experiments', ['--lr', '-1'], 'lr (learning rate) must be a finite number > 0'),
    ('experiments', ['--epochs', '0'], 'epochs must be a whole number ≥ 1'),
    ('experiments', ['--model', 'vgg'], "unknown model 'vgg'"),
    ('experiments', ['--device', 'tpu'], "unknown device 'tpu'"),
    ('experiments', ['--data', '{t}/nothing'], 'No CIFAR-100 data at'),
    ('experiments', ['--out', '{t}/afile', '--splits', 'official'], 'cannot use {t}/afile/split'),
    ('experiments', ['--epochs', 'x'], "argument --epochs: invalid int value: 'x'"),
    ('experiments', ['--grid', 'lr'], "give each axis as NAME=V1,V2,..."),
    ('experiments', ['--grid', 'wings=1,2'], "grid key 'wings' is not a Config field"),
    ('experiments', ['--grid', 'loss=focal'], "the grid varies loss through its own argument"),
    ('experiments', ['--grid', 'lr=-1,0.1'], 'lr (learning rate) must be a finite number > 0'),
    ('experiments', ['--imbalance', '0.5'], 'imbalance'),
    ('info', ['--data', '{t}/nothing'], 'No CIFAR-100 data at'),
    ('info', ['--data', 'synthetic', '--n_train', '0', '--root', '{t}/gen'], 'n_train (generated images per class)'),
    ('info', ['--data', '{t}/fine_2d'], "'fine_labels' must be a list"),
    ('info', ['--full_tree', 'yes'], 'unrecognized arguments: yes'),
    # the other data sets (nbs/01b_datasets.ipynb)
    ('train', ['--data', 'cifar1O'], "unknown data set 'cifar1O': did you mean cifar10?"),
    ('train', ['--data', '{t}/good', '--synthetic'], "--synthetic needs a data set's name"),
    ('train', ['--data', 'cifar10', '--data_dir', '{t}/good'], 'good/cifar-100-python holds CIFAR-100 (meta, train, test), not CIFAR-10'),
    ('train', ['--data', 'cifar100', '--data_dir', '{t}/c10'], 'c10/cifar-10-batches-py holds CIFAR-10 (batches.meta, data_batch_1…5), not CIFAR-100'),
    ('train', ['--data', 'stl10', '--data_dir', '{t}/nothing'], 'No STL-10 data at {t}/nothing/stl10_binary'),
    ('train', ['--data', '{t}/stl_trunc'], 'stl10_binary/train_X.bin is truncated or corrupt'),
    ('train', ['--data', 'tinyimagenet', '--synthetic', '--n_train', '0', '--root', '{t}/gen'], 'n_train (generated images per class) must be'),
    ('experiments', ['--data', 'cifar10', '--data_dir', '{t}/nothing'], 'No CIFAR-10 data at'),
    ('info', ['--data', 'tinyimagenet', '--data_dir', '{t}/nothing'], 'No Tiny ImageNet at'),
    ('info', ['--data', 'stl10', '--synthetic', '--root', '{t}/afile/gen'], 'cannot write the generated data under'),
]
BASE = {'train': TRAIN, 'experiments': ['--data', '{t}/good', '--offline', '--splits', '0.8', '--epochs', '1', '--device', 'cpu', '--out', '{t}/grid'],
        'info': ['--data', '{t}/good', '--offline']}

def merged(base, args):
    "The valid arguments with `args` replacing options of the same name (a flag given alone is added)."
    out, i, over = [], 0, {}
    while i < len(args):
        if i + 1 < len(args) and not args[i + 1].startswith('--'): over[args[i]] = args[i + 1]; i += 2
        else: over[args[i]] = None; i += 1
    j = 0
    while j < len(base):
        k = base[j]; has_val = j + 1 < len(base) and not base[j + 1].startswith('--')
        if k not in over: out += base[j:j + 1 + has_val]
        j += 1 + has_val
    for k, v in over.items(): out += [k] + ([] if v is None else [v])
    return out

@pytest.mark.parametrize('cmd, args, msg', CASES, ids=[f"{c}:{' '.join(a)}" for c, a, _ in CASES])
def test_bad_input_gives_one_line(cmd, args, msg, bad, monkeypatch, capsys):
    f = lambda s: s.replace('{t}', str(bad))
    argv = [f(a) for a in merged(BASE[cmd], args)]
    monkeypatch.setattr(sys, 'argv', [f'hiercifar-{cmd}', *argv])
    with pytest.raises(SystemExit) as e: getattr(cli, f'{cmd}_main')()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and 'Traceback' not in err[0], err
    assert err[0].startswith('error: ') and f(msg) in err[0], err[0]

def test_the_valid_arguments_of_the_table_work(bad, monkeypatch, capsys):
    "The table's base arguments are valid, so each case fails for its own reason."
    monkeypatch.setattr(sys, 'argv', ['hiercifar-info', *[a.replace('{t}', str(bad)) for a in BASE['info']]])
    cli.info_main()
    assert 'train:    200 images' in capsys.readouterr().out

def test_nan_advice_followed_literally_finishes(tmp_path, monkeypatch, capsys):
    write_synthetic_cifar100(tmp_path/'d', 2, 1)
    args = ['--data', str(tmp_path/'d'), '--offline', '--split', 'official', '--epochs', '1', '--bs', '100', '--device', 'cpu', '--out', str(tmp_path/'run')]
    monkeypatch.setattr(sys, 'argv', ['hiercifar-train', *args, '--lr', '1e30'])
    with pytest.raises(SystemExit) as e: cli.train_main()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and 'the loss became nan at epoch 0' in err[0], err
    assert 'No checkpoint had been written yet' in err[0] and 'amp=False' not in err[0]
    advice = re.search(r'Rerun the same command with (--lr \S+ --restart)', err[0]).group(1).split()
    monkeypatch.setattr(sys, 'argv', ['hiercifar-train', *args, '--lr', '1e30', *advice])   # later flags win, as in a shell
    cli.train_main()
    m = json.loads((tmp_path/'run'/'metrics.json').read_text())
    assert m['epochs_run'] == 1 and json.loads((tmp_path/'run'/'config.json').read_text())['lr'] == float(advice[1])

"Everything the package reads back from a results folder is checked like its input: one line naming the file, nothing run, nothing dropped."
import json, os, pickle, shutil, signal, sys, warnings
from pathlib import Path
import pytest
import torch
from hiercifar.data import write_synthetic_cifar100, load_cifar100, atomic_write, file_mode
from hiercifar.hierarchy import Hierarchy
from hiercifar.metrics import Preds, PredsError
from hiercifar.experiments import *
from hiercifar.summary import summary_csv, SkippedRunsWarning
from hiercifar.runs import DamagedRunError
from hiercifar import cli

TINY = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=1, bs=128, device='cpu')   # a tiny CNN: runs in seconds

class Payload:
    "A pickle that would create the file `marker` when loaded, if loading ran code."
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))

def payload(marker, protocol=2) -> bytes: return pickle.dumps(Payload(marker), protocol=protocol)   # 2: as torch.save

def nested(n=100_000) -> bytes: return b'[' * n + b']' * n

# ---- summary: a damaged run folder is named and left out; the good runs' table comes back -------------------------------

@pytest.fixture(scope='module')
def good_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp('good')/'run'
    train(Config(**TINY), data, out, progress=False)
    return out

GOOD_M = {'argmax': {'acc_fine': 0.5, 'acc_coarse': 0.6}, 'epochs_run': 1, 'synthetic': True}
SUMMARY_CASES = [  # (file of the damaged run, what it holds (None: removed; 'dir': a folder), the reason the warning gives)
    ('metrics.json', b'', 'metrics.json: it is empty'),
    ('metrics.json', b'{"argmax": {"acc_fi', 'metrics.json: it is not valid JSON'),
    ('metrics.json', b'\xff\xfe\x00\x81binary', 'metrics.json: it is binary, not text'),
    ('metrics.json', b'[]', 'metrics.json: it holds a JSON list, not an object'),
    ('metrics.json', nested(), 'metrics.json: it is nested too deeply'),
    ('metrics.json', 'dir', 'metrics.json: it is a folder, not a file'),
    ('metrics.json', json.dumps({**GOOD_M, 'argmax': {'acc_fine': 'high'}}).encode(), "argmax.acc_fine must be a number, got 'high'"),
    ('metrics.json', b'{"argmax": {"acc_fine": 1' + b'0' * 400 + b'}, "epochs_run": 1, "synthetic": true}', 'argmax.acc_fine must be a number, got an integer too large for a float'),
    ('metrics.json', json.dumps({'argmax': {}, 'epochs_run': 1, 'synthetic': True}).encode(), 'it has no scores'),
    ('config.json', None, 'config.json: it is missing'),
    ('config.json', json.dumps({'split': 0.8, 'seed': 0}).encode(), "config.json: it lacks the setting 'loss'"),
    ('config.json', b'', 'config.json: it is empty'),
]

@pytest.mark.parametrize('name, content, why', SUMMARY_CASES, ids=[f"{n}:{w.split(': ')[-1][:30]}" for n, _, w in SUMMARY_CASES])
def test_summary_names_and_skips_a_damaged_run(good_run, tmp_path, name, content, why):
    shutil.copytree(good_run, tmp_path/'a-good')
    bad = tmp_path/'b-bad'; shutil.copytree(good_run, bad)
    (bad/name).unlink()
    if content == 'dir': (bad/name).mkdir()
    elif content is not None: (bad/name).write_bytes(content)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        df = summary(tmp_path)
    skipped = [x for x in w if issubclass(x.category, SkippedRunsWarning)]
    assert len(skipped) == 1, [str(x.message) for x in w]
    msg = str(skipped[0].message)
    assert f'b-bad ({name}: ' in msg and why in msg and 'a-good' not in msg and '\n' not in msg and 'restart' in msg, msg
    assert df.seeds.tolist() == [1] and df.class_acc.notna().all()      # the good run's row, every column there

def test_no_column_is_dropped_in_silence(good_run, tmp_path):
    "Every score column of a good run is in the table; the run with a value that is not a number is refused, not averaged away."
    shutil.copytree(good_run, tmp_path/'a')
    cols = list(summary(tmp_path).columns)
    assert {'class_acc', 'superclass_acc', 'group_acc', 'avg_severity', 'crm_avg_severity', 'epochs'} <= set(cols)
    b = tmp_path/'b'; shutil.copytree(good_run, b)
    m = json.loads((b/'metrics.json').read_text()); m['argmax']['acc_fine'] = 'high'; (b/'metrics.json').write_text(json.dumps(m))
    with pytest.warns(SkippedRunsWarning, match='acc_fine must be a number'): df = summary(tmp_path)
    assert list(df.columns) == cols

def test_summary_csv_neutralises_formulas(good_run, tmp_path):
    for loss in ('=HYPERLINK("http://x","y")', '+1', '-cmd', '@SUM(A1)', '\tx', '\rx'):
        r = tmp_path/f'r{ord(loss[0])}'; shutil.copytree(good_run, r)
        c = json.loads((r/'config.json').read_text()); c['loss'] = loss; (r/'config.json').write_text(json.dumps(c))
    df = summary(tmp_path)
    import csv, io
    rows = list(csv.DictReader(io.StringIO(summary_csv(df).decode(), newline='')))
    assert sorted(r['loss'] for r in rows) == sorted("'" + l for l in ('=HYPERLINK("http://x","y")', '+1', '-cmd', '@SUM(A1)', '\tx', '\rx'))
    assert all(float(r['class_acc']) == pytest.approx(df.class_acc.iloc[0], rel=1e-6) for r in rows)   # numbers stay numbers
    neg = summary_csv(df.assign(avg_severity=-0.5)).decode()
    assert ",-0.5" in neg and "'-0.5" not in neg

def test_history_csv_holds_only_numbers(good_run):
    import pandas as pd
    h = pd.read_csv(good_run/'history.csv')
    assert len(h) == 1 and all(pd.api.types.is_numeric_dtype(h[c]) for c in h), h.dtypes

# ---- Preds.load: anything but what `save` wrote is refused in one line naming the file -----------------------------------

H = Hierarchy.cifar100()
def _ok(n=3): return {'out': {'fine': torch.randn(n, 100), 'coarse': torch.randn(n, 20), 'group': torch.randn(n, H.sizes['group'])},
                      'y': {'fine': torch.tensor([0, 5, 99][:n]), 'coarse': H.fine2coarse[torch.tensor([0, 5, 99][:n])]}}
PREDS_CASES = [  # (what preds.pt holds, the reason in the one line)
    ([1, 2], 'it holds list, not saved predictions'),
    ({'out': [1, 2]}, 'not saved predictions'),
    ({'out': [1, 2], 'y': {}}, 'not saved predictions'),
    (b'', 'it is empty, truncated or not a PyTorch file'),
    (b'\x80\x02garbage', 'it is empty, truncated or not a PyTorch file'),
    ('payload', 'it holds objects other than tensors and plain values, so it was refused without running anything'),
    ('payload4', 'preds.pt: it is empty, truncated or not a PyTorch file'),   # pickle protocol 4: refused before any object
    ('dir', 'it is a folder, not a file'),
    ({'out': {'fine': torch.randn(5, 7)}, 'y': {'fine': torch.zeros(5, dtype=torch.long)}}, 'its fine logits are (5, 7), and 5 images of this hierarchy need (5, 100)'),
    ({**_ok(), 'y': {'fine': torch.tensor([0, 500, 1])}}, 'its fine labels run from 0 to 500, outside 0…99'),
    ({**_ok(), 'y': {'fine': torch.tensor([0, -1, 1])}}, 'its fine labels run from -1 to 1'),
    ({**_ok(), 'y': {'fine': torch.tensor([0., 1., 2.])}}, 'its fine labels are not 3 whole numbers'),
    ({**_ok(), 'y': {'fine': torch.tensor([0, 1])}}, 'its fine logits are (3, 100), and 2 images of this hierarchy need (2, 100)'),
    ({'out': {'fine': 'x'}, 'y': {'fine': torch.tensor([0])}}, "its logits or labels of the classes ('fine') are missing or not tensors"),
]

@pytest.mark.parametrize('content, why', PREDS_CASES, ids=[w[:40] for _, w in PREDS_CASES])
def test_preds_load_refuses_in_one_line(tmp_path, content, why, capfd):
    f, marker = tmp_path/'preds.pt', tmp_path/'MARKER'
    if content == 'dir': f.mkdir()
    elif content in ('payload', 'payload4'): f.write_bytes(payload(marker, 2 if content == 'payload' else 4))
    elif isinstance(content, bytes): f.write_bytes(content)
    else: torch.save(content, f)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        with pytest.raises(PredsError) as e: Preds.load(f, H)
    msg = str(e.value)
    assert str(f) in msg and why in msg and '\n' not in msg, msg
    assert 'weights_only' not in msg + capfd.readouterr().err + ''.join(str(x.message) for x in w)
    assert not marker.exists()                                        # nothing in the file ran

def test_preds_round_trip_still_loads(tmp_path):
    Preds(_ok()['out'], _ok()['y'], H).save(tmp_path/'p.pt')
    p = Preds.load(tmp_path/'p.pt', H)
    assert len(p) == 3 and p.out['fine'].shape == (3, 100)

# ---- the CLI on damaged and crafted run folders: exit 2, one line, no traceback, nothing run, a foreign file unchanged ----

@pytest.fixture(scope='module')
def t(tmp_path_factory):
    t = tmp_path_factory.mktemp('rb')
    write_synthetic_cifar100(t/'good', 2, 1)
    return t

TRAIN = ['--data', '{t}/good', '--offline', '--split', 'official', '--epochs', '1', '--bs', '100', '--device', 'cpu']
CFG = dict(split='official', epochs=1, bs=100, device='cpu')   # what TRAIN asks for

def _run_folder(t, name, files:dict, finished=False):
    "A folder `open_run` made for TRAIN's run (config.json, data.json), then `files` written into it (None: removed)."
    out = t/name
    with open_run(out, Config(**CFG), load_cifar100(t/'good')): pass
    if finished:
        (out/'metrics.json').write_text(json.dumps({'argmax': {'acc_fine': 0.1}, 'epochs_run': 1, 'synthetic': True}))
        (out/'checkpoint.pt').write_bytes(b'not read: metrics.json is read first')
    for f, c in files.items():
        p = out/f
        if p.is_dir(): p.rmdir()
        else: p.unlink(missing_ok=True)
        if c == 'dir': p.mkdir()
        elif c is not None: p.write_bytes(c)
    return out

CLI_CASES = [  # (folder name, files written into a run folder of TRAIN's run, finished?, extra arguments, the one line's fragment)
    ('cfg_empty', {'config.json': b''}, False, [], 'cannot read {o}/config.json: it is empty; delete the run folder {o} or train it afresh'),
    ('cfg_binary', {'config.json': b'\xff\xfe\x00\x81'}, False, [], '{o}/config.json: it is binary, not text'),
    ('cfg_list', {'config.json': b'[]'}, False, [], '{o}/config.json: it holds a JSON list, not an object'),
    ('cfg_nested', {'config.json': nested()}, False, [], '{o}/config.json: it is nested too deeply'),
    ('cfg_dir', {'config.json': 'dir'}, False, [], '{o}/config.json: it is a folder, not a file'),
    ('data_missing', {'data.json': None}, False, [], '{o}/data.json: it is missing'),
    ('data_trunc', {'data.json': b'{"kind": "synth'}, False, [], '{o}/data.json: it is not valid JSON'),
    ('metrics_empty', {'metrics.json': b''}, True, [], '{o}/metrics.json: it is empty'),
    ('metrics_list', {'metrics.json': b'[]'}, True, [], '{o}/metrics.json: it holds a JSON list'),
    ('metrics_str', {'metrics.json': b'{"argmax": {"acc_fine": "high"}, "epochs_run": 1, "synthetic": true}'}, True, [],
     "{o}/metrics.json: argmax.acc_fine must be a number, got 'high'"),
    ('ckpt_payload', {'checkpoint.pt': 'payload'}, False, [],
     'cannot read checkpoint {o}/checkpoint.pt: it holds objects other than tensors and plain values, so it was refused without running anything'),
    ('ckpt_empty', {'checkpoint.pt': b''}, False, [], 'cannot read checkpoint {o}/checkpoint.pt: it is empty, truncated or not a PyTorch file (EOFError)'),
    ('foreign_ckpt', 'foreign', False, [], '{o} is not a hiercifar run (it has no config.json) but holds checkpoint.pt; '
                                            'training there would replace checkpoint.pt'),
    ('foreign_ckpt_restart', 'foreign', False, ['--restart'], '{o} is not a hiercifar run (it has no config.json) but holds checkpoint.pt'),
    ('foreign_notes', {'notes.txt': b'mine', 'x.tmp': b'mine too'}, 'bare', [], '{o} is not a hiercifar run (it has no config.json) but holds notes.txt, x.tmp: write to a new or empty folder'),
]

@pytest.mark.parametrize('name, files, finished, extra, msg', CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_on_a_damaged_folder_gives_one_line(t, name, files, finished, extra, msg, monkeypatch, capfd):
    marker = t/f'MARKER-{name}'
    if files == 'foreign' or finished == 'bare':
        out = t/name; out.mkdir()
        for f, c in ({'checkpoint.pt': b'my own file, not a run'} if files == 'foreign' else files).items(): (out/f).write_bytes(c)
    else:
        files = {f: payload(marker) if c == 'payload' else c for f, c in files.items()}
        out = _run_folder(t, name, files, finished)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    monkeypatch.setattr(sys, 'argv', ['hiercifar-train', *[a.replace('{t}', str(t)) for a in TRAIN], '--out', str(out), *extra])
    with pytest.raises(SystemExit) as e: cli.train_main()
    cap = capfd.readouterr()
    err = cap.err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and 'Traceback' not in cap.err, cap.err
    assert err[0].startswith('error: ') and msg.replace('{o}', str(out)) in err[0], err[0]
    assert 'weights_only' not in cap.out + cap.err and not marker.exists()
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != '.lock'} == \
           {k: v for k, v in before.items() if k != '.lock'}               # nothing replaced, nothing removed

def test_a_grid_with_a_damaged_run_still_ends_with_its_table(t, monkeypatch, capfd):
    "`hiercifar-experiments` over a grid folder where a finished run is damaged: one warning line, exit 0, the table of the rest."
    grid = t/'grid'
    args = ['--data', str(t/'good'), '--offline', '--splits', 'official', '--losses', 'multihead', '--epochs', '1', '--bs', '100',
            '--device', 'cpu', '--out', str(grid), '--quiet']
    monkeypatch.setattr(sys, 'argv', ['hiercifar-experiments', *args])
    cli.experiments_main()
    capfd.readouterr()
    shutil.copytree(grid/'splitofficial-multihead-seed0', grid/'zz-old')
    (grid/'zz-old'/'metrics.json').write_bytes(b'{"argmax": ')
    cli.experiments_main()
    cap = capfd.readouterr()
    warn = [l for l in cap.err.splitlines() if l.startswith('warning: ')]
    assert len(warn) == 1 and 'zz-old (metrics.json: it is not valid JSON' in warn[0] and 'Traceback' not in cap.err, cap.err
    assert 'official' in cap.out and 'summary:' in cap.out
    assert (grid/'summary.csv').read_text().count('\n') == 2                # the header and the good run

# ---- permissions: the umask decides, as for any file the user creates --------------------------------------------------

@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_follows_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write(tmp_path/'f.json', b'{}')
        plain = tmp_path/'plain'; plain.write_bytes(b'')                  # what open() gives under this umask
        assert (tmp_path/'f.json').stat().st_mode & 0o777 == mode == plain.stat().st_mode & 0o777 == file_mode()
    finally: os.umask(old)

# ---- interrupts: one line saying where the run stopped, exit 130 / 143, and resuming gives the same run -----------------

def test_keyboard_interrupt_then_resume_gives_the_same_run(data, tmp_path):
    from hiercifar.learner import Callback
    class CtrlC(Callback):
        order = 100   # after the checkpoint of the epoch is written
        def after_epoch(self, learn):
            if not learn.training and learn.epoch == 0: raise KeyboardInterrupt()
    cfg = Config(**{**TINY, 'epochs': 2})
    with pytest.raises(KeyboardInterrupt): train(cfg, data, tmp_path/'r', progress=False, cbs=[CtrlC()])
    assert (tmp_path/'r'/'checkpoint.pt').exists() and not (tmp_path/'r'/'metrics.json').exists()
    _, m = train(cfg, data, tmp_path/'r', progress=False)
    _, straight = train(cfg, data, tmp_path/'straight', progress=False)
    assert m['epochs_run'] == 2 and m['argmax'] == straight['argmax'] and m['crm'] == straight['crm']

@pytest.mark.parametrize('how, code, what', [('int', 130, 'Ctrl-C'), ('term', 143, 'SIGTERM')])
def test_cli_interrupt_says_where_and_resumes(t, tmp_path, how, code, what, monkeypatch, capfd):
    out = tmp_path/'run'
    args = [a.replace('{t}', str(t)) for a in TRAIN] + ['--out', str(out)]
    args[args.index('--epochs') + 1] = '2'
    orig = cli._Where.after_epoch
    def stop(self, learn):
        orig(self, learn)
        if not learn.training and learn.epoch == 0:
            if how == 'int': raise KeyboardInterrupt()
            os.kill(os.getpid(), signal.SIGTERM)
            import time; time.sleep(5)                                     # the handler raises here
    monkeypatch.setattr(cli._Where, 'after_epoch', stop)
    monkeypatch.setattr(sys, 'argv', ['hiercifar-train', *args])
    with pytest.raises(SystemExit) as e: cli.train_main()
    cap = capfd.readouterr()
    err = cap.err.strip().splitlines()
    assert e.value.code == code and len(err) == 1 and 'Traceback' not in cap.err, cap.err
    assert err[0] == (f"stopped by {what} at epoch 2 of 2 (1 of 2 epochs done, kept in {out/'checkpoint.pt'}); "
                      f"rerun the same command to resume"), err[0]
    assert signal.getsignal(signal.SIGTERM) is not cli._on_sigterm     # the handler is the program's only while it runs
    monkeypatch.setattr(cli._Where, 'after_epoch', orig)
    cli.train_main()                                                    # the same command: resumes
    assert 'resuming from epoch 1 of 2' in capfd.readouterr().out
    assert json.loads((out/'metrics.json').read_text())['epochs_run'] == 2

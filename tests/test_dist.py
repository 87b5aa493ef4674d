"Several processes: one run with DistributedDataParallel (torchrun, gloo, 2 CPU processes), and one grid shared by two workers."
import json, os, subprocess, sys
from pathlib import Path
import pytest
import torch
from filelock import FileLock
from hiercifar.data import write_synthetic_cifar100, load_cifar100, split_cifar100, Loader
from hiercifar.experiments import *
from hiercifar.learner import Learner, DataLoaders, load_checkpoint
from hiercifar.models import get_model
from hiercifar.losses import get_loss
from hiercifar.metrics import Preds, evaluate

TINY = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, bs=64, device='cpu')
ENV = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(Path(__file__).resolve().parents[1])}

@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('d')
    write_synthetic_cifar100(root, n_train=4, n_test=1, seed=0)
    return load_cifar100(root)

def test_ranks_share_each_batch(data):
    "Each of 2 ranks takes every other image of the global batch: together they see exactly what one process sees."
    one = [y['fine'] for _, y in Loader(data.train, 64, shuffle=True, augment=True, seed=3, device='cpu')]
    ranks = [[y['fine'] for _, y in Loader(data.train, 64, shuffle=True, augment=True, seed=3, device='cpu', rank=r, world=2)] for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == len(one) == 7
    for b, b0, b1 in zip(one, *ranks): assert torch.equal(b[0::2], b0) and torch.equal(b[1::2], b1)

DDP_RUN = r'''
import sys
from pathlib import Path
from hiercifar.data import load_cifar100
from hiercifar.experiments import Config, train, RunFolderError
root, out, busy = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
tiny = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, bs=64, device='cpu', lr=4e-3, sched='exp')
data = load_cifar100(root)
try: train(Config(epochs=1, **tiny), data, busy, progress=False)          # a folder another process holds: every rank refuses
except RunFolderError as e: print(f"refused: {e}", flush=True)
train(Config(epochs=2, **tiny), data, out, progress=False)
_, m = train(Config(epochs=3, **tiny), data, out, progress=False, extend=True)   # resumes from rank 0's checkpoint on every rank
print(f"done {m['epochs_run']}", flush=True)
'''

def test_one_run_on_two_processes(data, tmp_path):
    "torchrun, 2 CPU processes (gloo): the loss falls, the written metrics are a one-process evaluation of the saved model, one set of files."
    out, busy = tmp_path/'run', tmp_path/'busy'
    busy.mkdir()
    from filelock import FileLock
    (tmp_path/'run.py').write_text(DDP_RUN)
    with FileLock(busy/'.lock'):   # another process holds this folder
        r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', str(tmp_path/'run.py'),
                            str(data.root.parent), str(out), str(busy)], capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count(f'refused: {busy} is in use by another run; wait for it to finish, or write to another folder') == 2  # every rank, one line
    assert r.stdout.count('done 3') == 2                                    # every rank returns rank 0's metrics
    assert r.stdout.count('resuming from epoch 2 of 3') == 1                # said once, by rank 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ['busy', 'run', 'run.py'] and list(busy.iterdir()) == [busy/'.lock']
    assert sorted(p.name for p in out.iterdir()) == sorted([*RUN_FILES, '.lock'])   # one set of files, no leftovers
    hist = [l.split(',') for l in (out/'history.csv').read_text().splitlines()]
    col = {k: i for i, k in enumerate(hist[0])}
    train_loss = [float(row[col['train_loss']]) for row in hist[1:]]
    assert len(train_loss) == 3 and train_loss[-1] < train_loss[0]
    # one process, the saved model, the whole validation part
    cfg = Config(epochs=3, **{**TINY, 'lr': 4e-3, 'sched': 'exp'})
    tr, va = split_cifar100(data, cfg.split, seed=cfg.seed)
    learn = Learner(get_model('cnn', data.hier, **cfg.model_kwargs), DataLoaders.from_parts(tr, va, 64, 'cpu'), get_loss('multihead', data.hier), data.hier)
    load_checkpoint(learn, out/'checkpoint.pt')
    m, saved = evaluate(Preds.from_learner(learn), cfg.severity), json.loads((out/'metrics.json').read_text())
    assert saved['n_valid'] == len(va) == 100 and saved['epochs_run'] == 3
    for k, v in m.items(): assert saved['argmax'][k] == pytest.approx(v, abs=1e-6), k
    # the history's last validation row is summed over both ranks: the same global evaluation
    assert float(hist[-1][col['valid_acc_fine']]) == pytest.approx(m['acc_fine'])

WORKER = r'''
import sys
from hiercifar.data import load_cifar100
from hiercifar.experiments import run_experiments
df = run_experiments(load_cifar100(sys.argv[1]), sys.argv[2], splits=(0.7, 0.9), losses=('multihead', 'hce'), progress=False, poll=0.2,
                     model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=1, bs=128, device='cpu')
print(f"rows {len(df)}")
'''

def test_two_workers_share_a_grid(data, tmp_path):
    "Two workers on one grid: every run trained exactly once, and both end with the complete summary."
    (tmp_path/'worker.py').write_text(WORKER)
    ws = [subprocess.Popen([sys.executable, str(tmp_path/'worker.py'), str(data.root.parent), str(tmp_path/'grid')],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
    outs = [w.communicate(timeout=300) for w in ws]
    assert [w.returncode for w in ws] == [0, 0], [e[-2000:] for _, e in outs]
    trained = sorted(l.split(':')[0] for o, _ in outs for l in o.splitlines() if l.endswith(': training'))
    assert trained == sorted(run_name(s, l, 0) for s in (0.7, 0.9) for l in ('multihead', 'hce'))   # each run once, by one worker
    assert [o.splitlines()[-1] for o, _ in outs] == ['rows 4', 'rows 4']
    assert len((tmp_path/'grid'/'summary.csv').read_text().strip().splitlines()) == 5
    assert not list((tmp_path/'grid').rglob('*.tmp'))

def test_a_dead_workers_run_is_resumed(data, tmp_path):
    "A run whose worker died (its lock freed by the OS, a checkpoint left) is resumed by the next worker, not started again."
    cfg = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=2, bs=128, device='cpu', sched='exp')
    d = tmp_path/run_name(0.8, 'hce', 0)
    train(Config(split=0.8, loss='hce', **{**cfg, 'epochs': 1}), data, d, progress=False)
    (d/'metrics.json').unlink()                      # as if its worker died after the first epoch's checkpoint
    c = json.loads((d/'config.json').read_text()); c['epochs'] = 2; (d/'config.json').write_text(json.dumps(c))
    import io, contextlib
    with contextlib.redirect_stdout(io.StringIO()) as f:
        df = run_experiments(data, tmp_path, splits=(0.8,), losses=('hce',), progress=False, **cfg)
    assert f.getvalue().splitlines()[0] == f"{d.name}: training (resuming)"
    assert json.loads((d/'metrics.json').read_text())['epochs_run'] == 2 and len(df) == 1

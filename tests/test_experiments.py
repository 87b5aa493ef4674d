import json
import pytest
import torch
from hiercifar.data import write_synthetic_cifar100, load_cifar100
from hiercifar.experiments import *

TINY = dict(model_kwargs={'widths': (8, 16, 16), 'fc': 32}, epochs=1, bs=128, device='cpu')   # a tiny CNN: runs in seconds

def test_train_writes_results(data, tmp_path):
    learn, m = train(Config(loss='hce', split=0.8, **TINY), data, tmp_path/'r', progress=False)
    files = {p.name for p in (tmp_path/'r').iterdir()}
    assert files == {'.lock', 'checkpoint.pt', 'config.json', 'data.json', 'history.csv', 'metrics.json', 'preds.pt'}
    saved = json.loads((tmp_path/'r'/'metrics.json').read_text())
    assert saved['argmax']['acc_fine'] == pytest.approx(m['argmax']['acc_fine'])
    assert (m['n_train'], m['n_valid']) == (400, 100) and saved['synthetic'] is True
    assert json.loads((tmp_path/'r'/'config.json').read_text())['loss'] == 'hce'

def test_grid_skips_and_resumes(data, tmp_path):
    df = run_experiments(data, tmp_path, splits=(0.7, 0.9), losses=('multihead', 'severity'), progress=False, verbose=False, **TINY)
    assert len(df) == 4 and list(df.index.names) == ['split', 'loss']
    assert set(df.columns) >= {'class_acc', 'superclass_acc', 'group_acc', 'avg_severity', 'crm_avg_severity', 'seeds'}
    assert (tmp_path/'summary.csv').exists()
    done = tmp_path/run_name(0.9, 'severity', 0)/'metrics.json'
    stamp = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')}
    done.unlink()
    df2 = run_experiments(data, tmp_path, splits=(0.7, 0.9), losses=('multihead', 'severity'), progress=False, verbose=False, **TINY)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')}
    assert [p for p in after if after[p] != stamp.get(p)] == [done]       # only the missing run was trained again
    assert df2.loc[('0.9', 'severity'), 'class_acc'] == pytest.approx(df.loc[('0.9', 'severity'), 'class_acc'])  # resumed/replayed: same result

def test_seeds_are_averaged(data, tmp_path):
    df = run_experiments(data, tmp_path, splits=(0.8,), losses=('multihead',), seeds=(0, 1), progress=False, verbose=False, **TINY)
    assert df.loc[('0.8', 'multihead'), 'seeds'] == 2
    one = [json.loads(p.read_text())['argmax']['acc_fine'] for p in sorted(tmp_path.glob('*/metrics.json'))]
    assert df.loc[('0.8', 'multihead'), 'class_acc'] == pytest.approx(sum(one) / 2)

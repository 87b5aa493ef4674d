"Hyperparameter search: a grid over any Config field (dotted keys into dict fields) that runs, resumes and summarises; random search; Optuna."
import json
import pytest
import torch
from hiercifar.experiments import *
from hiercifar.experiments import grid_points, with_point

TINY = dict(model_kwargs={'widths': (16, 32, 64), 'fc': 128}, epochs=1, bs=128, device='cpu', precision='fp32')
GRID = {'lr': [1e-3, 4e-3], 'loss_kwargs.lam': [0.5, 2.]}

def test_grid_over_two_fields_runs_resumes_and_summarises(data, tmp_path):
    df = run_experiments(data, tmp_path, splits=(0.8,), losses=('severity',), grid=GRID, progress=False, verbose=False, **TINY)
    assert len(df) == 4 and list(df.index.names) == ['split', 'loss', 'loss_kwargs.lam', 'lr']
    assert sorted((lam, lr) for _, _, lam, lr in df.index) == [(0.5, 1e-3), (0.5, 4e-3), (2., 1e-3), (2., 4e-3)]
    runs = sorted(p.parent for p in tmp_path.glob('*/metrics.json'))
    assert [r.name for r in runs] == ['split0.8-severity-seed0-lr0.001-loss_kwargs.lam0.5', 'split0.8-severity-seed0-lr0.001-loss_kwargs.lam2.0',
                                      'split0.8-severity-seed0-lr0.004-loss_kwargs.lam0.5', 'split0.8-severity-seed0-lr0.004-loss_kwargs.lam2.0']
    for r in runs:                                                   # each folder holds the run its name says
        cfg = json.loads((r/'config.json').read_text())
        assert f"lr{cfg['lr']!r}" in r.name and f"lam{cfg['loss_kwargs']['lam']!r}" in r.name
        assert cfg['model_kwargs'] == {'widths': [16, 32, 64], 'fc': 128}
    m = json.loads((runs[0]/'metrics.json').read_text())
    assert df.loc[('0.8', 'severity', 0.5, 1e-3), 'class_acc'] == pytest.approx(m['argmax']['acc_fine'])
    assert df.loc[('0.8', 'severity', 0.5, 1e-3), 'avg_severity'] == pytest.approx(m['argmax']['avg_severity'])
    assert (tmp_path/'summary.csv').exists()
    # resume: one run lost its result; only that one trains again, and every other is read back
    stamp = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')}
    lost = runs[3]/'metrics.json'; lost.unlink()
    df2 = run_experiments(data, tmp_path, splits=(0.8,), losses=('severity',), grid=GRID, progress=False, verbose=False, **TINY)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')}
    assert [p for p in after if after[p] != stamp.get(p)] == [lost]
    assert df2.equals(df)
    fig = plot_grid(df, 'lr')
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 2 and fig.axes[0].get_xscale() == 'linear'   # one line per λ

def test_grid_keys_are_checked_before_any_work(data, tmp_path):
    for grid, msg in (({'lr_max': [1]}, 'not a Config field'), ({'loss': ['hce']}, 'own argument'),
                      ({'lr.x': [1]}, 'only loss_kwargs and model_kwargs'), ({'lr': []}, 'non-empty list'),
                      ({'lr': [-1.]}, 'lr'), ('lr', 'a dict')):
        with pytest.raises(ConfigError, match=msg):
            run_experiments(data, tmp_path, splits=(0.8,), losses=('multihead',), grid=grid, progress=False, **{k: v for k, v in TINY.items() if k != 'lr'})
    with pytest.raises(ConfigError, match='both as a fixed setting'): run_experiments(data, tmp_path, grid={'bs': [64]}, **TINY)
    assert not any(tmp_path.iterdir())                                # nothing written

def test_points_and_dotted_keys():
    assert grid_points({'lr': [1, 2], 'bs': [8]}) == [{'lr': 1, 'bs': 8}, {'lr': 2, 'bs': 8}]
    assert grid_points([{'lr': 1}, {'lr': 1}, {'lr': 2}]) == [{'lr': 1}, {'lr': 2}]      # each point once
    assert grid_points(None) == [{}]
    assert with_point({'loss_kwargs': {'weights': (1, 2, 3)}, 'lr': 1.}, {'loss_kwargs.lam': 2., 'lr': 3.}) == \
        {'loss_kwargs': {'weights': (1, 2, 3), 'lam': 2.}, 'lr': 3.}
    assert run_name(0.8, 'severity', 0) == 'split0.8-severity-seed0'
    assert run_name(0.8, 'severity', 0, {'loss_kwargs.weights': (1., 2., 5.), 'lr': 1e-05}) == 'split0.8-severity-seed0-loss_kwargs.weights1.0_2.0_5.0-lr1e-05'

def test_random_grid_and_range():
    space = {'lr': Range(1e-4, 1e-2, log=True), 'bs': Range(32, 256, integer=True), 'loss_kwargs.lam': [0.5, 2.]}
    pts = random_grid(space, 50, seed=0)
    assert pts == random_grid(space, 50, seed=0) and pts != random_grid(space, 50, seed=1)
    lr = torch.tensor([p['lr'] for p in pts])
    assert 1e-4 <= lr.min() and lr.max() <= 1e-2 and (lr < 1e-3).sum() > 10 and (lr > 1e-3).sum() > 10   # log-uniform: both decades
    assert all(isinstance(p['bs'], int) and 32 <= p['bs'] <= 256 for p in pts) and {p['loss_kwargs.lam'] for p in pts} == {0.5, 2.}
    with pytest.raises(ConfigError, match='lo < hi'): Range(2, 1)
    with pytest.raises(ConfigError, match='log Range needs lo > 0'): Range(0, 1, log=True)
    with pytest.raises(ConfigError, match='Range or a non-empty list'): random_grid({'lr': 0.1}, 2)

def test_optuna_search_resumes(data, tmp_path):
    pytest.importorskip('optuna')
    space = {'lr': Range(1e-3, 1e-2, log=True), 'loss_kwargs.lam': [0.5, 2.]}
    kw = {k: v for k, v in TINY.items()}
    study = optuna_search(data, space, n_trials=2, out=tmp_path, loss='severity', objective='avg_severity', **kw)
    assert study.direction.name == 'MINIMIZE' and len(study.trials) == 2
    folders = sorted(p.parent for p in tmp_path.glob('*/metrics.json'))
    assert len(folders) == 2
    best = min(json.loads((f/'metrics.json').read_text())['argmax']['avg_severity'] for f in folders)
    assert study.best_value == pytest.approx(best)
    stamp = {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')}
    again = optuna_search(data, space, n_trials=2, out=tmp_path, loss='severity', objective='avg_severity', **kw)
    assert again.best_params == study.best_params
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob('*/metrics.json')} == stamp   # read back, not trained again
    assert len(summary(tmp_path)) == 2
    with pytest.raises(ConfigError, match='objective must be'): optuna_search(data, space, objective='speed', out=tmp_path)

def test_optuna_missing_is_one_line(monkeypatch, data, tmp_path):
    import builtins
    real = builtins.__import__
    def no_optuna(name, *a, **k):
        if name == 'optuna': raise ImportError('no optuna')
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, '__import__', no_optuna)
    with pytest.raises(ImportError, match=r"pip install 'hiercifar\[search\]'"): optuna_search(data, {'lr': Range(1e-3, 1e-2)}, out=tmp_path)

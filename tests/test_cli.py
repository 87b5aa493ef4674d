"The installed commands: --help, one-line errors with a non-zero exit, and a tiny offline run."
import json, subprocess, sys
import pandas as pd
import pytest

def run(*args, cwd=None):
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=600)

@pytest.mark.parametrize('cmd', ['hiercifar-train', 'hiercifar-experiments', 'hiercifar-info'])
def test_help(cmd):
    r = run(cmd, '--help')
    assert r.returncode == 0 and '--data' in r.stdout

def test_bad_value_from_the_installed_command(tmp_path):
    "The installed entry point gives one line and status 2 (every other bad input: the table in test_runs.py)."
    r = run('hiercifar-train', '--loss', 'mse', '--root', str(tmp_path))
    assert r.returncode == 2 and r.stderr.strip().splitlines() == ["error: unknown loss 'mse'; choose one of: multihead, hce, severity, hxe, soft, consistency, focal, learned_levels"]
    r = run('hiercifar-experiments', '--epochs', 'x')
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and 'invalid int value' in r.stderr

def test_tiny_offline_training_run(tmp_path):
    r = run('hiercifar-train', '--data', 'synthetic', '--n_train', '2', '--n_test', '1', '--epochs', '1', '--loss', 'severity',
            '--severity', '1,2,5', '--root', str(tmp_path/'cache'), '--out', str(tmp_path/'run'), '--device', 'cpu')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'validation (100 images, generated data)' in r.stdout
    cfg = json.loads((tmp_path/'run'/'config.json').read_text())
    assert cfg['loss_kwargs']['weights'] == [1., 2., 5.] and cfg['severity'] == [1., 2., 5.]
    assert (tmp_path/'run'/'metrics.json').exists()

def test_download_failure_is_one_clear_error(monkeypatch, tmp_path):
    "No network: the error says so and points to the offline form (the real download is torchvision's, not run here)."
    import urllib.error
    import hiercifar.data, hiercifar.cli
    def no_network(root): raise urllib.error.URLError('Name or service not known')
    monkeypatch.setattr(hiercifar.data, 'download_cifar100', no_network)
    with pytest.raises(RuntimeError, match=r'could not download CIFAR-100 into .*--data synthetic'):
        hiercifar.cli.get_data(str(tmp_path/'data'))
    called = []
    monkeypatch.setattr(hiercifar.data, 'download_cifar100', lambda root: called.append(root))
    with pytest.raises(FileNotFoundError): hiercifar.cli.get_data(str(tmp_path/'data'))   # "downloaded" nothing
    assert called == [str(tmp_path/'data')]                                             # first use: it tried
    from hiercifar.data import write_synthetic_cifar100
    write_synthetic_cifar100(tmp_path/'data', 1, 1)
    called.clear(); hiercifar.cli.get_data(str(tmp_path/'data'))
    assert called == []                                                                  # data present: no download

# ---- the other data sets: --data NAME (--data_dir), --synthetic, --data FOLDER (nbs/01b_datasets.ipynb)
import torch
import hiercifar.cli as hcli
pytestmark = pytest.mark.filterwarnings('ignore:The image decoding and encoding capabilities of TorchVision:DeprecationWarning')
from hiercifar.cli import get_data, info_cli, train_cli, experiments_cli
from hiercifar.datasets import write_synthetic_cifar10, write_synthetic_stl10, write_synthetic_folder, C10_DIR

@pytest.mark.parametrize('name, size, n_classes, levels', [('cifar10', 32, 10, 3), ('stl10', 96, 10, 3), ('tinyimagenet', 64, 200, 1),
                                                           ('cifar100', 32, 100, 3)])
def test_generated_form_of_each_data_set(name, size, n_classes, levels, tmp_path):
    d = get_data(name, synthetic=True, n_train=2, n_test=1, root=str(tmp_path))
    assert (d.name, d.synthetic, d.size, d.hier.n_fine, len(d.hier.levels)) == (name, True, size, n_classes, levels)
    assert d.train.counts().tolist() == [2] * n_classes and d.test.counts().tolist() == [1] * n_classes
    stamp = {p: p.stat().st_mtime_ns for p in tmp_path.rglob('*') if p.is_file()}
    again = get_data(name, synthetic=True, n_train=2, n_test=1, root=str(tmp_path))      # written once, then read
    assert torch.equal(again.train.x, d.train.x) and {p: p.stat().st_mtime_ns for p in tmp_path.rglob('*') if p.is_file() and 'hiercifar-cache' not in p.name} == \
        {p: t for p, t in stamp.items() if 'hiercifar-cache' not in p.name}
    if name == 'cifar100': assert torch.equal(get_data('synthetic', n_train=2, n_test=1, root=str(tmp_path)).train.x, d.train.x)

def test_named_data_sets_from_data_dir_and_folders(tmp_path, capsys):
    write_synthetic_cifar10(tmp_path/'dd', 2, 1); write_synthetic_stl10(tmp_path/'dd', 2, 1, n_unlabeled=3)
    assert get_data('cifar10', data_dir=str(tmp_path/'dd'), offline=True).name == 'cifar10'
    assert get_data('stl10', data_dir=str(tmp_path/'dd')).name == 'stl10'                       # present: no download
    assert get_data(str(tmp_path/'dd'/C10_DIR)).name == 'cifar10'                               # --data FOLDER of a data set
    imgs = write_synthetic_folder(tmp_path/'imgs', n_classes=3, n_per_class=5, size=16)
    d = get_data(str(imgs))
    assert (d.name, d.hier.n_fine, d.size, len(d.train) + len(d.test)) == ('folder', 3, 16, 15)
    with pytest.raises(FileNotFoundError, match='No CIFAR-10 data at'): get_data('cifar10', data_dir=str(tmp_path/'none'), offline=True)
    with pytest.raises(ValueError, match="--synthetic needs a data set's name"): get_data(str(imgs), synthetic=True)
    with pytest.raises(ValueError, match='--download and generated data contradict'): get_data('stl10', synthetic=True, download=True)

def test_named_download_failure_is_one_clear_error(monkeypatch, tmp_path):
    import urllib.error
    import hiercifar.datasets as ds
    def no_network(root): raise urllib.error.URLError('Name or service not known')
    monkeypatch.setattr(ds, 'download_stl10', no_network)
    with pytest.raises(RuntimeError, match=r'could not download STL-10 into .*--data stl10 --synthetic'):
        get_data('stl10', data_dir=str(tmp_path/'data'))

def test_info_summarises_any_data_set(tmp_path, capsys):
    info_cli(data='stl10', synthetic=True, n_train=2, n_test=1, root=str(tmp_path))
    out = capsys.readouterr().out
    assert 'data set: STL-10 (GENERATED stand-in); images 96×96; 10 classes;\nhierarchy: 10 classes → 4 superclasses → 2 groups' in out
    assert 'unlabeled: 20 images (3, 96, 96) uint8, memory-mapped' in out and 'train:     20 images' in out and 'channel mean (' in out
    info_cli(data='tinyimagenet', synthetic=True, n_train=2, n_test=1, root=str(tmp_path))
    out = capsys.readouterr().out
    assert 'Hierarchy(200 classes, no hierarchy)\namber finch, amber beetle' in out and ', …' in out
    assert 'data set: Tiny ImageNet (GENERATED stand-in); images 64×64; 200 classes;\nhierarchy: none (flat classes)' in out
    assert 'unlabeled' not in out and 'superclass' not in out
    imgs = write_synthetic_folder(tmp_path/'imgs', n_classes=3, n_per_class=5, size=16)
    info_cli(data=str(imgs))
    assert 'data set: image folder (GENERATED stand-in); images 16×16; 3 classes;\nhierarchy: none (flat classes)' in capsys.readouterr().out

def validation_lines(out):
    "The end-of-run summary: its heading and the line of scores below it."
    lines = out.splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith('validation'))
    return lines[i], lines[i + 1]

def test_train_on_flat_data_prints_no_invented_levels(tmp_path, capsys):
    imgs = write_synthetic_folder(tmp_path/'imgs', n_classes=6, n_per_class=5, size=16)
    train_cli(data=str(imgs), epochs=1, bs=16, device='cpu', out=str(tmp_path/'run'))
    out = capsys.readouterr().out
    head, line = validation_lines(out)
    assert head == 'validation (6 images, generated data):' and line.startswith('class ') and '  top-5 ' in line
    assert 'superclass' not in out and 'severity' not in line and 'CRM' not in line
    train_cli(data='cifar10', synthetic=True, n_train=2, n_test=1, epochs=1, device='cpu', root=str(tmp_path), out=str(tmp_path/'c10'))
    head, line = validation_lines(capsys.readouterr().out)
    assert 'superclass' in line and 'group' in line and '(CRM ' in line    # a small tree: every level
    assert len(head) <= 80 and len(line) <= 80                              # each line fits the docs' column

def test_experiments_on_another_data_set(tmp_path, capsys):
    experiments_cli(data='stl10', synthetic=True, n_train=2, n_test=1, splits='official', losses='multihead,severity', epochs=1,
                    device='cpu', root=str(tmp_path), out=str(tmp_path/'grid'), quiet=True)
    out = capsys.readouterr().out
    assert out.startswith('ImageData(stl10, synthetic, train=20, test=10, unlabeled=20, 96×96')
    assert (tmp_path/'grid'/'summary.csv').exists() and 'severity' in out
    with pytest.raises(SystemExit):   # a loss that needs a tree, on flat classes: one line, before any training
        experiments_cli(data='tinyimagenet', synthetic=True, n_train=1, n_test=1, splits='official', losses='hce', epochs=1,
                        device='cpu', root=str(tmp_path), out=str(tmp_path/'flat'), quiet=True)
    assert "needs a class hierarchy" in capsys.readouterr().err


def test_experiments_grid_on_a_long_tail(tmp_path, capsys):
    "The long-tail sweep from the command line: --imbalance and a --grid over β, resumable, one summary."
    kw = dict(data='cifar10', synthetic=True, n_train=12, n_test=2, splits='official', losses='focal', epochs=1, imbalance=4.,
              grid='loss_kwargs.beta=0,0.999;loss_kwargs.gamma=1', device='cpu', root=str(tmp_path), out=str(tmp_path/'lt'), quiet=True)
    experiments_cli(**kw)
    df = pd.read_csv(tmp_path/'lt'/'summary.csv')
    assert sorted(df['loss_kwargs.beta'].tolist()) == [0, 0.999] and len(df) == 2
    runs = sorted(p.name for p in (tmp_path/'lt').iterdir() if p.is_dir())
    assert runs == ['splitofficial-focal-seed0-loss_kwargs.beta0-loss_kwargs.gamma1', 'splitofficial-focal-seed0-loss_kwargs.beta0.999-loss_kwargs.gamma1']
    cfg = json.loads((tmp_path/'lt'/runs[1]/'config.json').read_text())
    assert cfg['imbalance'] == 4. and cfg['loss_kwargs'] == {'beta': 0.999, 'gamma': 1}
    capsys.readouterr(); experiments_cli(**kw)                 # a rerun trains nothing
    assert capsys.readouterr().out.count('training') == 0

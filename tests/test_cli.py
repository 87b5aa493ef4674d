"The installed commands: --help, one-line errors with a non-zero exit, and a tiny offline run."
import json, subprocess, sys
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

"""Run All, as JupyterLab or Colab does it: every code cell of a notebook top to bottom, the cells flagged `slow`,
`download` or `gpu` included (nbdev_test skips those, a student's Run All does not), with downloads turned off.

Only the notebooks that have flagged cells, or whose data cell downloads, are run here; `nbdev_test` runs every other cell of every notebook.
The notebooks' data cells must fall back to the generated stand-in (with a printed note) and size their runs for a
CPU. `HIERCIFAR_OFFLINE=1` makes `cifar100_or_synthetic` skip the download attempt, and the kernel sees no proxy, so
a cell that still tries to download fails at once instead of waiting on the network.

Marked `runall` (about a minute per notebook on 2 cores): `pytest -m runall`, or deselect with `-m "not runall"`.
"""
import json, os, re, subprocess, sys
from pathlib import Path
import pytest

NBS = Path(__file__).resolve().parents[1]/'nbs'
FLAGS = ('slow', 'download', 'gpu')

def flagged(path:Path) -> bool:
    "Does the notebook have a cell that nbdev_test would skip (a test flag; `eval: false` only on the Colab install cell)?"
    for c in json.loads(path.read_text())['cells']:
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        if any(re.match(rf'\s*#\s*\|\s*{f}\s*$', l) for l in src.splitlines() for f in FLAGS): return True
    return False

DATA = {'06_experiments.ipynb', '08_tutorial.ipynb'}   # their data cells download CIFAR-100 when they can
RUNALL = sorted(DATA | {p.name for p in NBS.glob('[0-9]*.ipynb') if flagged(p)})

# Runs in a fresh interpreter, as a kernel would: every code cell, no preprocessing that skips any.
SCRIPT = r'''
import os, sys, time
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
p = sys.argv[1]
os.chdir(os.path.dirname(p))
nb = read_nb(p)
t0 = time.perf_counter()
sh = CaptureShell(p)
sh.run_all(nb, exc_stop=True)
out = ''.join(o.get('text', '') if isinstance(o.get('text', ''), str) else ''.join(o['text'])
              for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []) if o.get('output_type') == 'stream')
print('===STREAMS===' + out)
print(f'===SECONDS=== {time.perf_counter() - t0:.1f}')
'''

def test_runall_list():
    "Notebooks with flagged cells are found (so a new flagged cell gets a Run-All test); 01 has a `slow` cell, 02 none."
    assert flagged(NBS/'01_data.ipynb') and not flagged(NBS/'02_models.ipynb')
    assert {'01_data.ipynb', '06_experiments.ipynb', '08_tutorial.ipynb'} <= set(RUNALL), RUNALL

@pytest.mark.runall
@pytest.mark.parametrize('name', RUNALL)
def test_runall_offline(name, tmp_path):
    env = {k: v for k, v in os.environ.items() if 'proxy' not in k.lower()}
    env.update(HIERCIFAR_OFFLINE='1', MPLBACKEND='agg', CUDA_VISIBLE_DEVICES='', HOME=str(tmp_path),
               PYTHONPATH=os.pathsep.join([str(NBS.parent)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    r = subprocess.run([sys.executable, '-c', SCRIPT, str(NBS/name)], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{name} failed under Run All offline:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    streams = r.stdout.split('===STREAMS===', 1)[1]
    if name == '08_tutorial.ipynb':      # offline: the stand-in, said so; no GPU: short runs, said so
        assert 'GENERATED stand-in' in streams and 'NOTE: no GPU' in streams, f"{name}: no visible note on the data or the run size"
    if name == '06_experiments.ipynb':   # no GPU: the full grid is not run, and the notebook says so
        assert 'NOTE: no GPU' in streams, f"{name}: no visible note that the full grid was not run"

"""Execute notebooks top to bottom and save their outputs, skipping what nbdev_test skips (cells flagged with a
test flag from settings.ini -- slow, gpu, download -- and cells marked `#| eval: false`). The saved outputs are
what the docs site shows.

    python tools/run_nbs.py                 # every notebook in nbs/
    python tools/run_nbs.py nbs/03_losses.ipynb

Then run `nbdev_clean`. The outputs come from generated data on the machine that runs this; the notebooks say so.
"""
import os, re, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config

cfg = get_config()
skip = set(cfg.tst_flags.split())
repo = cfg.config_path

def directives(src:str) -> dict:
    "The cell's leading `#| key: value` lines."
    d = {}
    for line in src.splitlines():
        m = re.match(r'\s*#\s*\|\s*([\w-]+:?)\s*(.*)', line)
        if not m: break
        d[m.group(1)] = m.group(2).strip()
    return d

def skipped(cell) -> bool:
    if cell.cell_type != 'code': return True
    d = directives(cell.source)
    return d.get('eval:', '').lower() == 'false' or bool(skip & set(d))

def as_terminal(text:str) -> str:
    "What a terminal shows of text with carriage returns (progress bars): each line's last rewrite."
    return '\n'.join(line.rstrip('\r').split('\r')[-1] for line in text.split('\n'))

def static(outputs:list) -> list:
    "Outputs as a page without a kernel should show them."
    for o in outputs:
        if o.get('output_type') == 'stream': o['text'] = as_terminal(''.join(o['text']) if isinstance(o['text'], list) else o['text'])
        data = o.get('data', {})
        # a live widget cannot render without its kernel: keep the widget's own static snapshot instead
        if 'application/vnd.jupyter.widget-view+json' in data and 'text/html' in data: del data['application/vnd.jupyter.widget-view+json']
    return outputs

os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
os.environ.setdefault('HIERCIFAR_OFFLINE', '1')   # saved outputs come from the generated stand-in, whatever the network
for p in [Path(a).resolve() for a in sys.argv[1:]] or sorted(cfg.nbs_path.glob('*.ipynb')):
    t0 = time.perf_counter()
    nb = read_nb(p)
    os.chdir(p.parent)
    try: CaptureShell(p).run_all(nb, exc_stop=True, preproc=skipped)
    finally: os.chdir(repo)
    for c in nb.cells:
        if c.cell_type != 'code': continue
        if skipped(c): c.outputs, c.execution_count = [], None
        else: c.outputs = static(c.outputs)
    write_nb(nb, p)
    print(f'{p.name}: {time.perf_counter() - t0:.1f}s', flush=True)

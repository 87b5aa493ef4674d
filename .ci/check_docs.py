"Check the processed docs input (_proc/): every page is there and every link between notebooks resolves."
import re, sys
from pathlib import Path
import nbformat

root = Path(__file__).resolve().parents[1]
proc, nbs = root/'_proc', root/'nbs'
errors = []
for src in sorted(nbs.glob('*.ipynb')):
    out = proc/src.name
    if not out.exists(): errors.append(f'{out} was not produced'); continue
    nb = nbformat.read(out, as_version=4)
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        for target in re.findall(r'\]\(([^)#\s]+\.(?:ipynb|qmd|md))(?:#[^)]*)?\)', c.source):
            if '://' in target: continue
            if not (proc/target).exists(): errors.append(f'{src.name}: broken link to {target}')
for f in ('_quarto.yml', 'sidebar.yml', 'nbdev.yml', 'styles.css'):
    if not (proc/f).exists(): errors.append(f'_proc/{f} missing')
print('\n'.join(errors) or f'docs input OK: {len(list(nbs.glob("*.ipynb")))} notebooks processed, links resolve')
sys.exit(1 if errors else 0)

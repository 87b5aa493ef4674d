"""Check the processed docs input (_proc/, written by `nbdev_proc_nbs`) page by page, as a reader of the rendered
site would see it. Quarto cannot run here, so each check is on what Quarto is given: the processed notebooks and
the configuration. Run after `nbdev_proc_nbs`; prints one line per problem and exits 1 if there is any.

Per page: every notebook was processed; links between pages resolve; no Colab badge stands alone in its paragraph
(Quarto would make it a centred figure captioned "Open In Colab"); no link is written around a name nbdev links
again (raw Markdown on the page), neither in text nor in a signature's code block; every documented object has a
docstring; no import cell of test helpers is shown; the tutorial's flagged cells say so in a line the page shows;
every widget's static snapshot shows its controls. Site-wide: "View source" links point into nbs/, navbar targets
exist, no code-fold toggle, and output images are scaled to the text column by styles.css."""
import base64, io, re, sys
from pathlib import Path
import nbformat, yaml

root = Path(__file__).resolve().parents[1]
proc, nbs = root/'_proc', root/'nbs'
errors, notes = [], []
err = errors.append
COLUMN_PX = 750           # the text column of the cosmo theme at 1,400 px, the widest an image is shown whole

_re_para_badge = re.compile(r'^\s*\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*$')      # a linked image alone: a figure
_re_nested = re.compile(r"\[\[[^\]]*\]\([^)\s]*\)\]\(")                         # [[`x`](url)](url)
_re_fence = re.compile(r'```(?:python)?\n(.*?)```', re.S)

def paragraphs(md):
    "Markdown paragraphs outside code fences."
    return [p for p in re.split(r'\n\s*\n', re.sub(r'```.*?```', '', md, flags=re.S)) if p.strip()]

def visible_code(src):
    "The lines of a code cell that Quarto shows (it strips `#|` option lines)."
    return [l for l in src.splitlines() if not re.match(r'\s*#\s*\|', l)]

def directives(src):
    d = []
    for l in src.splitlines():
        m = re.match(r'\s*#\s*\|\s*([\w-]+)', l)
        if not m: break
        d.append(m.group(1))
    return d

def md_outputs(c):
    for o in c.get('outputs', []):
        md = o.get('data', {}).get('text/markdown')
        if md: yield ''.join(md) if isinstance(md, list) else md

def html_outputs(c):
    for o in c.get('outputs', []):
        h = o.get('data', {}).get('text/html')
        if h: yield ''.join(h) if isinstance(h, list) else h

def png_width(o):
    "The width at which a notebook shows an image output (metadata width, else the PNG's pixels)."
    w = (o.get('metadata', {}).get('image/png') or {}).get('width')
    if w: return int(w)
    png = base64.b64decode(o['data']['image/png'])
    return int.from_bytes(png[16:20], 'big')

# ---- the configuration
cfg = yaml.safe_load((root/'_quarto.yml').read_text())
html_fmt = cfg.get('format', {}).get('html', {})
if html_fmt.get('code-fold'): err('_quarto.yml: code-fold puts a "Code" toggle above every cell; show code plainly')
site = cfg.get('website', {})
if site.get('repo-subdir') != 'nbs': err('_quarto.yml: website.repo-subdir must be nbs, or "View source" links miss nbs/')
nav = site.get('navbar', {})
hrefs = {i.get('text'): i.get('href') for side in ('left', 'right') for i in nav.get(side, [])}
for text, href in hrefs.items():
    if href and '://' not in href and not (proc/href).exists(): err(f'navbar "{text}" points to {href}, which does not exist')
if hrefs.get('API') != '10_api.ipynb': err(f'navbar "API" points to {hrefs.get("API")}, not the API reference 10_api.ipynb')
nbdev_yml = yaml.safe_load((proc/'nbdev.yml').read_text()) if (proc/'nbdev.yml').exists() else {}
if nbdev_yml.get('website', {}).get('repo-subdir') not in (None, 'nbs'): err('nbdev.yml sets another repo-subdir')

css = (proc/'styles.css').read_text() if (proc/'styles.css').exists() else ''
def css_rule_for(selector_part, *decls):
    for sel, body in re.findall(r'([^{}]+)\{([^}]*)\}', re.sub(r'/\*.*?\*/', '', css, flags=re.S)):
        if selector_part in sel and all(re.search(d, body) for d in decls): return True
    return False
scaled = css_rule_for('.cell-output-display img', r'max-width:\s*100%', r'height:\s*auto')
if not scaled: err('styles.css: no rule scales `.cell-output-display img` to the column (max-width: 100%; height: auto)')

# ---- page by page
pages = sorted(nbs.glob('*.ipynb'))
wide, n_images = [], 0
for src in pages:
    out = proc/src.name
    if not out.exists(): err(f'{out} was not produced'); continue
    if not (root/site.get('repo-subdir', '')/src.name).exists(): err(f'{src.name}: its "View source" link would not resolve')
    nb = nbformat.read(out, as_version=4)
    for i, c in enumerate(nb.cells):
        where = f'{src.name} cell {i}'
        texts = [c.source] if c.cell_type == 'markdown' else list(md_outputs(c))
        for md in texts:
            for target in re.findall(r'\]\(([^)#\s]+\.(?:ipynb|qmd|md))(?:#[^)]*)?\)', md):
                if '://' not in target and not (proc/target).exists(): err(f'{where}: broken link to {target}')
            for p in paragraphs(md):
                if _re_para_badge.match(p): err(f'{where}: a badge alone in its paragraph becomes a captioned figure: {p.strip()[:80]}')
            for m in _re_nested.finditer(md): err(f'{where}: a link around a linked name shows as raw Markdown: {m.group(0)[:80]}')
            if c.cell_type == 'code':
                for fence in _re_fence.findall(md):
                    if re.search(r'\]\(http', fence): err(f'{where}: a link inside a signature shows as raw Markdown: {fence[:80]!r}')
        if c.cell_type != 'code': continue
        if re.search(r'show_doc\(', c.source):
            for md in md_outputs(c):
                if 'Call self as a function' in md: err(f'{where}: documented object without a docstring')
                rest = md.rsplit('```', 1)[-1] if '```' in md else ''
                if not rest.strip(): err(f'{where}: {c.source.splitlines()[-1]} has no docstring')
        if 'hide' not in directives(c.source) and re.search(r'^\s*from fastcore\.test import', c.source, re.M):
            err(f'{where}: a test-helper import cell is shown; mark it #| hide')
        for h in html_outputs(c):
            if 'Interactive widget' in h and not re.search(r'<input type="range"|<button', h):
                err(f'{where}: the widget\'s static snapshot shows no control')
        for o in c.get('outputs', []):
            if 'image/png' in o.get('data', {}):
                n_images += 1; w = png_width(o)
                if w > COLUMN_PX: wide.append(f'{src.name} cell {i}: {w}px')
    if src.stem == '08_tutorial':
        # nbdev drops the `#| slow` / `#| download` flags from the page: the tutorial's text refers to those cells,
        # so each must begin with a comment naming its flag, and that comment must reach the page
        shown = '\n'.join(c.source for c in nb.cells if c.cell_type == 'code')
        for c in nbformat.read(src, as_version=4).cells:
            flags = set(directives(c.source)) & {'slow', 'download', 'gpu'}
            if c.cell_type != 'code' or not flags: continue
            first = next((l for l in visible_code(c.source) if l.strip()), '')
            if not (first.lstrip().startswith('#') and any(f in first for f in flags) and first in shown):
                err(f'{src.name} cell {c.get("id")}: the tutorial refers to its {"/".join(sorted(flags))} cells, but the page '
                    f'strips the flag: begin the code with a comment naming it')
    if src.stem == '10_api':
        rows = [l for c in nb.cells for md in md_outputs(c) for l in md.splitlines() if l.startswith('| ') and not l.startswith('| name')]
        if not rows: err('10_api: the API index has no rows')
        for l in rows:
            if not re.match(r'\| \[`[^`]+`\]\(https?://[^)]+\) \| \S', l): err(f'10_api: a row is not one linked name and its summary: {l[:90]}')

for f in ('_quarto.yml', 'sidebar.yml', 'nbdev.yml', 'styles.css'):
    if not (proc/f).exists(): err(f'_proc/{f} missing')
if wide:
    msg = f'{len(wide)} of {n_images} output images are wider than the {COLUMN_PX}px column'
    if scaled: notes.append(msg + ': styles.css scales them to it')
    else: err(msg + ' and nothing scales them: ' + ', '.join(wide))

print('\n'.join(errors + notes))
if not errors: print(f'docs input OK: {len(pages)} pages processed; links, badges, API index, docstrings, source links, navbar, figures checked')
sys.exit(1 if errors else 0)

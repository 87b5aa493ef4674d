"""The docs' sources agree and read well: README.md is what nbdev renders from index.ipynb, with links and picture
that work on GitHub; the sidebar lists every notebook; the Quarto configuration, styles and docstrings give the
pages a reader needs. (.ci/check_docs.py checks the processed pages themselves, after nbdev_proc_nbs.)"""
import functools, importlib, inspect, os, re, shutil, sys
import nbformat
import pytest
import yaml
from conftest import REPO

def _norm(s): return re.sub(r'\s+', ' ', s).strip()

def _visible_cells():
    nb = nbformat.read(REPO/'nbs'/'index.ipynb', as_version=4)
    return [c for c in nb.cells if not (c.cell_type == 'code' and re.match(r'#\s*\|\s*hide', c.source))]

def test_readme_commands():
    text = (REPO/'README.md').read_text()
    cmds = re.findall(r'```sh\n(.*?)\n```', text, flags=re.S)
    assert len(cmds) == 2 and cmds[1] == 'pip install -e ".[dev]" && pytest tests && nbdev_test'
    install, *jobs = cmds[0].splitlines()
    # an install line that works without a clone (hiercifar is not on PyPI)
    assert install == 'pip install git+https://github.com/hiercifar/hiercifar'
    assert jobs[0].startswith('hiercifar-train --data synthetic') and jobs[1].startswith('hiercifar-train --epochs')
    ci = (REPO/'.ci'/'run').read_text()
    assert cmds[1] in ci, '.ci/run must run the README\'s test command verbatim'

def test_sidebar_lists_every_notebook():
    side = yaml.safe_load((REPO/'nbs'/'sidebar.yml').read_text())
    listed = set()
    def walk(items):
        for it in items:
            if isinstance(it, str): listed.add(it)
            elif isinstance(it, dict): walk(it.get('contents', []))
    walk(side['website']['sidebar']['contents'])
    nbs = {p.name for p in (REPO/'nbs').glob('*.ipynb')}
    assert nbs == listed, f"sidebar.yml and nbs/ disagree: {sorted(nbs ^ listed)}"

def test_one_quarto_config():
    link = REPO/'nbs'/'_quarto.yml'
    assert link.is_symlink() and link.resolve() == (REPO/'_quarto.yml').resolve()
    cfg = yaml.safe_load((REPO/'_quarto.yml').read_text())
    assert cfg['project']['type'] == 'website' and 'sidebar.yml' in cfg['metadata-files']

RAW = 'https://raw.githubusercontent.com/hiercifar/hiercifar/main/'
DOCS = 'https://hiercifar.github.io/hiercifar/'

def _local(url):
    "The file a link of README.md or index.ipynb stands for in this repository, or None for a link outside it."
    if url.startswith(RAW): return REPO/url[len(RAW):]
    if url.startswith('https://github.com/hiercifar/hiercifar/blob/main/'): return REPO/url.split('/blob/main/', 1)[1]
    if url.startswith(DOCS):
        page = url[len(DOCS):].split('#')[0] or 'index.html'
        from nbdev.doclinks import _nbpath2html
        srcs = [p for p in (REPO/'nbs').glob('*.ipynb') if _nbpath2html(p.relative_to(REPO/'nbs')).as_posix() == page]
        return srcs[0] if srcs else REPO/'nbs'/page
    return None

def test_readme_and_index_links_work_in_both_places():
    "The README is shown from the repository root on GitHub and the index from nbs/ on the site: the same links must work in both."
    for p in ('README.md', 'nbs/index.ipynb'):
        text = (REPO/p).read_text()
        targets = re.findall(r'\]\(([^)\s]+)\)', text)
        assert len(targets) >= 12, p
        for t in targets:
            assert '://' in t, f'{p}: relative link {t} breaks in the README (root) or on the site (nbs/): use an absolute URL'
            f = _local(t)
            assert f is None or f.exists(), f'{p} links to {t}, which does not exist ({f})'
        imgs = re.findall(r'!\[[^\]]*\]\(([^)]+\.png)\)', text)
        assert imgs and all(i.startswith(RAW) and _local(i).exists() for i in imgs), (p, imgs)

def test_every_page_has_a_summary_and_colab_badge():
    for p in sorted((REPO/'nbs').glob('[0-9]*.ipynb')):
        nb = nbformat.read(p, as_version=4)
        first = nb.cells[0].source
        assert first.startswith('# ') and '\n> ' in first, f'{p.name}: title and one-sentence summary first'
        if p.stem != '10_api':
            assert f'colab.research.google.com/github/hiercifar/hiercifar/blob/main/nbs/{p.name}' in ''.join(c.source for c in nb.cells[:3]), p.name
            first_code = next(c for c in nb.cells if c.cell_type == 'code').source
            assert "find_spec('hiercifar') is None" in first_code or "find_spec(m) is None" in first_code, \
                f'{p.name}: first code cell installs hiercifar where it is missing (Colab, a fresh Jupyter)'
            assert 'pip' in first_code and 'HIERCIFAR_SOURCE' in first_code and 'eval: false' not in first_code, p.name


# ---- README.md is what nbdev renders from nbs/index.ipynb

def _directives(src):
    d = {}
    for l in src.splitlines():
        m = re.match(r'\s*#\s*\|\s*([\w-]+):?\s*(.*)', l)
        if not m: break
        d[m.group(1)] = m.group(2).strip()
    return d

@functools.lru_cache(None)
def nbdev_readme_md():
    """What `nbdev_readme` writes from nbs/index.ipynb, short of Quarto. nbdev 2.4.14 processes the notebook with its
    docs processors (`FilterDefaults`: the first cell's title becomes front matter and the whole cell is dropped,
    a DO-NOT-EDIT comment is added, `#| hide` cells go, backticked names are linked), then runs
    `quarto render index.ipynb -o README.md -t gfm`: the title as a heading, Markdown cells as they are, code
    cells as fenced code and their text outputs as indented blocks."""
    from execnb.nbio import read_nb
    from nbdev.processors import FilterDefaults
    cwd = os.getcwd(); os.chdir(REPO)
    try:
        nb = read_nb(REPO/'nbs'/'index.ipynb')
        FilterDefaults()(nb)
    finally: os.chdir(cwd)
    out = []
    for c in nb.cells:
        src = c.get('source')
        if not src: continue
        if c.cell_type == 'raw':
            fm = yaml.safe_load(re.match(r'\s*---\s*\n(.*?)\n---', src, re.S).group(1))
            out.append(f"# {fm['title']}")
        elif c.cell_type == 'markdown': out.append(src.strip())
        elif c.cell_type == 'code':
            d = _directives(src)
            code = '\n'.join(l for l in src.splitlines() if not re.match(r'\s*#\s*\|', l)).strip()
            if d.get('echo') != 'false' and code: out.append(f'``` python\n{code}\n```')
            for o in c.get('outputs', []):
                text = o.get('text') if o.get('output_type') == 'stream' else o.get('data', {}).get('text/plain')
                if text:
                    text = ''.join(text) if isinstance(text, list) else text
                    out.append('\n'.join('    ' + l for l in text.rstrip('\n').splitlines()))
    return '\n\n'.join(out) + '\n'

def _content(md):
    "What a reader gets from Markdown, whatever the writer's formatting (Quarto's gfm writer re-wraps, re-pads tables, curls quotes)."
    md = re.sub(r'<!--.*?-->', '', md, flags=re.S)
    md = md.translate(str.maketrans({'\u2019': "'", '\u2018': "'", '\u201c': '"', '\u201d': '"'}))
    urls = [a or b for a, b in re.findall(r'\]\(([^)\s]+)\)|src="([^"]+)"', md)]
    text = re.sub(r'\]\([^)\s]+\)', ']', md)
    text = re.sub(r'<[^>]+>', ' ', text)
    text = re.sub(r'[\\`*_#>|\-\[\]!:]+', ' ', text)
    return ' '.join(text.split()), urls

def test_readme_is_what_nbdev_renders_from_index():
    "Running nbdev_docs (the deploy workflow) must not change what README.md says: index.ipynb is the one source."
    want, got = _content(nbdev_readme_md()), _content((REPO/'README.md').read_text())
    assert got[1] == want[1], f'README.md links differ from index.ipynb rendered by nbdev: {set(got[1]) ^ set(want[1])}'
    if got[0] != want[0]:
        i = next(i for i, (a, b) in enumerate(zip(got[0], want[0])) if a != b) if got[0][:len(want[0])] != want[0][:len(got[0])] else min(len(got[0]), len(want[0]))
        pytest.fail(f'README.md is out of step with nbs/index.ipynb (run `python tests/test_docs.py` to rewrite it):\n'
                    f'README: ...{got[0][max(0, i - 80):i + 80]}\nindex:  ...{want[0][max(0, i - 80):i + 80]}')
    readme = (REPO/'README.md').read_text()
    assert readme.startswith('# hiercifar\n') and 'Hierarchical image classification on CIFAR-100' in readme.split('##')[0]

def test_the_rendering_is_not_vacuous():
    "The comparison above fails when the README drifts."
    text, urls = _content(nbdev_readme_md())
    assert 'Hierarchical image classification on CIFAR 100' in text and len(urls) >= 12
    assert _content(nbdev_readme_md().replace('nine', 'ten').replace('three heads', 'two heads'))[0] != text
    assert _content(nbdev_readme_md().replace('tutorial.html', '08_tutorial.ipynb'))[1] != urls

# ---- the site's configuration, styles and API docs

def test_quarto_config_for_readers():
    cfg = yaml.safe_load((REPO/'_quarto.yml').read_text())
    assert 'code-fold' not in cfg['format']['html'], 'code-fold puts a "Code" toggle above every cell'
    # pages render from _proc/, a copy of nbs/; nbdev rewrites nbs/nbdev.yml from settings.ini, so the setting lives here
    assert cfg['website']['repo-subdir'] == 'nbs' and 'source' in cfg['website']['repo-actions']
    nav = {i['text']: i['href'] for i in cfg['website']['navbar']['left']}
    assert nav == {'Tutorial': '08_tutorial.ipynb', 'API': '10_api.ipynb'}
    assert all((REPO/'nbs'/h).exists() for h in nav.values())

def test_figures_scale_to_the_column():
    "Output images carry their natural width (up to ~1,750 px); styles.css must scale them into the 750 px column."
    css = re.sub(r'/\*.*?\*/', '', (REPO/'nbs'/'styles.css').read_text(), flags=re.S)
    rules = re.findall(r'([^{}]+)\{([^}]*)\}', css)
    assert any('.cell-output-display img' in sel and re.search(r'max-width:\s*100%', body) and re.search(r'height:\s*auto', body)
               for sel, body in rules)
    assert any('pre.sourceCode.python' in sel and 'pre-wrap' in body for sel, body in rules), 'long code lines wrap'

def _public():
    from hiercifar._modidx import d
    for mod in d['syms']:
        m = importlib.import_module(mod)
        for name in getattr(m, '__all__', []): yield mod, name, getattr(m, name)

def test_every_public_object_has_its_own_docstring():
    "show_doc and the API index print the first docstring line; without one a page reads 'Call self as a function.'"
    missing = []
    for mod, name, o in _public():
        if not (inspect.isfunction(o) or inspect.isclass(o)): continue
        doc = o.__dict__.get('__doc__') if inspect.isclass(o) else o.__doc__
        if not doc or not doc.strip() or doc.startswith(f'{name}('): missing.append(f'{mod}.{name}')
    assert not missing, f'no docstring: {missing}'

def test_api_index_rows_are_plain_backticked_names():
    "nbdev links a backticked name itself: a link written around it shows as raw Markdown on the page."
    nb = nbformat.read(REPO/'nbs'/'10_api.ipynb', as_version=4)
    md = ''.join(o['data']['text/markdown'] for c in nb.cells if c.cell_type == 'code' for o in c.outputs if 'text/markdown' in o.get('data', {}))
    rows = [l for l in md.splitlines() if l.startswith('| ') and not l.startswith('| name')]
    assert len(rows) == sum(1 for *_, o in _public() if callable(o)) or len(rows) > 100, len(rows)
    assert all(re.match(r'\| `[\w.]+` \| \S', l) for l in rows), [l for l in rows if not re.match(r'\| `[\w.]+` \| \S', l)][:3]
    from nbdev.doclinks import NbdevLookup
    nl = NbdevLookup()
    for l in rows[:200]:
        name = re.match(r'\| `([\w.]+)`', l).group(1)
        assert nl.doc(name) and nl.doc(name).startswith(DOCS), f'nbdev does not link {name} to its page'

def test_badges_are_inline():
    "A badge alone in its paragraph becomes a centred figure captioned 'Open In Colab'."
    for p in sorted((REPO/'nbs').glob('*.ipynb')):
        for c in nbformat.read(p, as_version=4).cells:
            if c.cell_type != 'markdown': continue
            for para in re.split(r'\n\s*\n', c.source):
                assert not re.fullmatch(r'\s*\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*', para), f'{p.name}: badge alone: {para[:60]}'

def test_widget_snapshot_shows_the_controls():
    "A page without a kernel shows the widgets' controls, disabled, with their current values."
    from hiercifar.hierarchy import Hierarchy
    from hiercifar.widgets import SeverityDesigner
    d = SeverityDesigner(Hierarchy.cifar100(), weights=(1, 2.5, 7))
    html = d._repr_mimebundle_()['text/html']
    sliders = re.findall(r'<input type="range" disabled min="([\d.]+)" max="([\d.]+)" step="([\d.]+)" value="([\d.]+)"', html)
    assert [float(v) for *_, v in sliders] == [1, 2.5, 7, *d.multipliers]
    assert {(float(a), float(b), float(c)) for a, b, c, _ in sliders} == {(x.min, x.max, x.step) for x in d.w + d.m}
    assert '<output>2.50</output>' in html and 'same group' in html and html.count('<select disabled>') == 3
    assert '<button disabled' in html and 'set pair cost' in html and 'data:image/png;base64,' in html

CHROMIUM = shutil.which('chromium') or shutil.which('google-chrome') or '/usr/bin/chromium'

def test_styles_in_a_browser(tmp_path):
    "Quarto's markup for a 1,751 px figure and a long code line, in a 750 px column, with Quarto's own overflow rule."
    if not os.path.exists(CHROMIUM): pytest.skip('Chromium not installed')
    sync_api = pytest.importorskip('playwright.sync_api')
    shutil.copy(REPO/'nbs'/'styles.css', tmp_path/'styles.css')
    shutil.copy(REPO/'nbs'/'images'/'hierarchy.png', tmp_path/'fig.png')
    long = 'learn = Learner(multihead_cnn(h, widths=(16, 32, 64), fc=128), DataLoaders.from_parts(train, valid, bs=128, device="cpu"), get_loss("multihead", h), h, lr=4e-3)'
    (tmp_path/'page.html').write_text(f"""<html><head><style>main {{ width: 750px; }} .cell-output-display {{ overflow-x: auto; }}
    div.sourceCode {{ overflow: auto; }} pre {{ font-size: 14px; }}</style><link rel="stylesheet" href="styles.css"></head>
    <body><main><div class="cell"><div class="sourceCode cell-code" id="cb1"><pre class="sourceCode python code-with-copy"><code class="sourceCode python"><span id="cb1-1"><a href="#cb1-1"></a>{long}</span>
<span id="cb1-2"><a href="#cb1-2"></a>learn.fit(3)</span></code></pre></div>
    <div class="cell-output cell-output-display" id="out"><div><figure class="figure"><p><img src="fig.png" class="figure-img" width="1751" height="599"></p></figure></div></div>
    <div class="cell-output cell-output-display" id="out2"><div class="quarto-figure quarto-figure-center"><figure class="figure"><p><img src="fig.png" width="1751" height="599" class="img-fluid figure-img"></p></figure></div></div>
    </div></main></body></html>""")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox', '--disable-gpu', '--no-first-run'], headless=True)
        try:
            page = b.new_page(viewport={'width': 1400, 'height': 900})
            page.goto((tmp_path/'page.html').as_uri()); page.wait_for_load_state('load')
            for box in ('#out', '#out2'):
                w, sw, cw, ratio, natural = page.evaluate(f"""() => {{ const o = document.querySelector('{box}'), i = o.querySelector('img');
                    return [i.getBoundingClientRect().width, o.scrollWidth, o.clientWidth, i.getBoundingClientRect().height / i.getBoundingClientRect().width, i.naturalHeight / i.naturalWidth]; }}""")
                assert w <= 750 and sw <= cw, (box, w, sw, cw)
                assert abs(ratio - natural) < 0.01, 'the figure keeps its proportions'
            sw, cw, lines = page.evaluate("""() => { const p = document.querySelector('pre'); const s = document.querySelector('#cb1-1');
                return [p.scrollWidth, p.clientWidth, Math.round(s.getBoundingClientRect().height / document.querySelector('#cb1-2').getBoundingClientRect().height)]; }""")
            assert sw <= cw and lines >= 2, (sw, cw, lines)
        finally: b.close()

if __name__ == '__main__':
    # Without Quarto: write README.md as nbdev renders it from nbs/index.ipynb (`nbdev_readme` does the same with Quarto)
    sys.path.insert(0, str(REPO/'tests'))
    (REPO/'README.md').write_text(nbdev_readme_md())
    print('README.md written from nbs/index.ipynb')

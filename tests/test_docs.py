"""The docs' sources agree and read well: README.md is what nbdev renders from index.ipynb, with links and picture
that work on GitHub; the sidebar lists every notebook; the Quarto configuration, styles and docstrings give the
pages a reader needs. (.ci/check_docs.py checks the processed pages themselves, after nbdev_proc_nbs.)"""
import functools, importlib, inspect, os, re, shutil, subprocess, sys
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
    assert 'bash .ci/readme_command README.md || fail' in ci and ci.count('set -euo pipefail') == 1
    assert not re.search(r'^[^#]*&&[^\n]*\bpytest\b', ci, flags=re.M), '.ci/run must not run pytest inside an && list'

def _readme_command(tmp_path, cmd):
    (tmp_path/'README.md').write_text(f"# x\n\n```sh\npip install x\n```\n\n```sh\n{cmd}\n```\n")
    return subprocess.run(['bash', str(REPO/'.ci'/'readme_command'), str(tmp_path/'README.md')], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)

def test_readme_command_failure_fails_ci(tmp_path):
    "The README's command runs step by step: a failing step (pytest's 1, or its 5 for no test) stops it with its status."
    r = _readme_command(tmp_path, 'true && (exit 5) && touch ran')
    assert r.returncode == 5 and not (tmp_path/'ran').exists() and "'(exit 5)' exited 5" in r.stdout, r.stdout
    r = _readme_command(tmp_path, 'true && touch a && touch b')
    assert r.returncode == 0 and (tmp_path/'a').exists() and (tmp_path/'b').exists(), r.stdout + r.stderr
    assert '+ true' in r.stdout and '+ touch b' in r.stdout

def test_readme_test_command_is_the_one_ci_runs(tmp_path):
    r = subprocess.run(['python3', '-c', 'import re,sys; print(re.findall(r"```sh\\n(.*?)\\n```", open("README.md").read(), re.S)[1])'],
                       cwd=REPO, capture_output=True, text=True)
    assert r.stdout.strip() == 'pip install -e ".[dev]" && pytest tests && nbdev_test'

def test_no_page_calls_the_course_reports_the_seeds():
    "The course reports were once called 'the seeds', a word that collides with random seeds: no page may say it."
    pages = [REPO/'README.md', *sorted((REPO/'nbs').glob('*.ipynb'))]
    bad = [p.name for p in pages if re.search(r'the\s+seeds', p.read_text(encoding='utf-8'), flags=re.I)]
    assert not bad, f"{bad} say 'the seeds': write 'the course reports' (or 'the random seeds' for seeds)"

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
    # Pictures are the exception: the site serves them itself (images/, relative to nbs/) and the README, read from
    # the repository root, names the same file under nbs/ (GitHub shows relative pictures, offline and on forks too).
    for p, base in (('README.md', REPO), ('nbs/index.ipynb', REPO/'nbs')):
        text = (REPO/p).read_text()
        imgs = re.findall(r'!\[[^\]]*\]\(([^)]+\.png)\)', text)
        targets = [t for t in re.findall(r'\]\(([^)\s]+)\)', text) if t not in imgs]
        assert len(targets) >= 12, p
        for t in targets:
            assert '://' in t, f'{p}: relative link {t} breaks in the README (root) or on the site (nbs/): use an absolute URL'
            f = _local(t)
            assert f is None or f.exists(), f'{p} links to {t}, which does not exist ({f})'
        assert imgs and all('://' not in i and (base/i).exists() for i in imgs), (p, imgs)
        assert all(i.startswith('nbs/images/' if p == 'README.md' else 'images/') for i in imgs), (p, imgs)

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
    # the README is read from the repository root: its pictures' relative links gain nbs/ (CONTRIBUTING.md, step 6)
    return re.sub(r'(!\[[^\]]*\]\()(?![a-z]+://)([^)]+\))', r'\1nbs/\2', '\n\n'.join(out) + '\n')

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
    # no CommonMark copy of every page: no reader needs it (nbdev_readme asks for gfm itself) and its TeX warns
    assert set(cfg['format']) == {'html'} and cfg['format']['html']['toc'] is True
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
    for out in ('.cell-output-stdout pre', '.cell-output-stderr pre', '.cell-output-error pre', '.cell-output > pre'):
        assert any(out in sel and re.search(r'white-space:\s*pre-wrap', body) for sel, body in rules), f'long output lines wrap: {out}'
    assert any('table code' in sel and 'nowrap' in body for sel, body in rules), 'names in tables never break'

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
    out_line = 'NOTE: ' + 'a long printed line of output, ' * 8 + 'the end'     # Bootstrap's and Quarto's rules below
    (tmp_path/'page.html').write_text(f"""<html><head><style>main {{ width: 750px; }} .cell-output-display {{ overflow-x: auto; }}
    div.sourceCode {{ overflow: auto; }} pre {{ font-size: 14px; overflow: auto; }} pre code {{ white-space: pre; word-break: normal; }}
    code {{ word-wrap: break-word; }}</style><link rel="stylesheet" href="styles.css"></head>
    <body><main><div class="cell"><div class="sourceCode cell-code" id="cb1"><pre class="sourceCode python code-with-copy"><code class="sourceCode python"><span id="cb1-1"><a href="#cb1-1"></a>{long}</span>
<span id="cb1-2"><a href="#cb1-2"></a>learn.fit(3)</span></code></pre></div>
    <div class="cell-output cell-output-display" id="out"><div><figure class="figure"><p><img src="fig.png" class="figure-img" width="1751" height="599"></p></figure></div></div>
    <div class="cell-output cell-output-stdout" id="stdout"><pre><code>{out_line}</code></pre></div>
    <div class="cell-output cell-output-display"><table id="api"><tr><td style="width:1px"><a href="#"><code id="name">default_device</code></a></td><td>{out_line}</td></tr></table></div>
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
            # a printed line wraps inside the column (no sideways scrolling), a name in a table stays on one line
            sw, cw, h, lh = page.evaluate("""() => { const p = document.querySelector('#stdout pre');
                return [p.scrollWidth, p.clientWidth, p.getBoundingClientRect().height, parseFloat(getComputedStyle(p).lineHeight) || 20]; }""")
            assert sw <= cw and h > 1.5 * lh, (sw, cw, h, lh)
            assert page.evaluate("() => document.querySelector('#name').getClientRects().length") == 1
            ch = page.evaluate("""() => { const s = document.createElement('span'); s.textContent = 'x'.repeat(100);
                document.querySelector('#stdout pre').appendChild(s); return s.getBoundingClientRect().width / 100; }""")
            fits = (cw - 2 * 8) / ch     # what an output line may hold at this font: .ci/check_docs.py's OUTPUT_CHARS is below it
            assert _check_docs().OUTPUT_CHARS <= fits, (fits, ch)
            print(f"output column holds {fits:.0f} characters of {ch:.2f} px")
        finally: b.close()

# ---- .ci/check_docs.py's readability checks (issue 27), each on a crafted _proc-like folder

def _check_docs():
    import importlib.util
    spec = importlib.util.spec_from_file_location('check_docs', REPO/'.ci'/'check_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

SITE = 'https://example.org/lib'

def _png(w, h):
    "A base64 PNG header of the given size (the checks read only the IHDR chunk)."
    import base64, struct, zlib
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return base64.b64encode(b'\x89PNG\r\n\x1a\n' + struct.pack('>I', 13) + b'IHDR' + ihdr + struct.pack('>I', zlib.crc32(b'IHDR' + ihdr))).decode()

def _page(folder, name, cells, html=None):
    from nbformat.v4 import new_notebook, new_raw_cell
    nb = new_notebook(cells=[new_raw_cell(f'---\ntitle: {name}\noutput-file: {html or name + ".html"}\n---\n'), *cells])
    nbformat.write(nb, folder/f'{name}.ipynb')

def _code(src, *outputs):
    from nbformat.v4 import new_code_cell
    return new_code_cell(src, outputs=list(outputs))

def _site(tmp_path, bad):
    "Two pages and a sidebar: each defect of issue 27 in the bad version, its fix in the good one."
    from nbformat.v4 import new_markdown_cell, new_output
    (tmp_path/'images').mkdir(); (tmp_path/'images'/'tree.png').write_bytes(b'')
    img = 'https://raw.githubusercontent.com/o/r/main/nbs/images/tree.png' if bad else 'images/tree.png'
    wide = 1750 if bad else 750
    line = 'x' * (120 if bad else 80)
    _page(tmp_path, '00_tree', [
        new_markdown_cell(f'# Tree\n\n![the tree]({img})\n\nSee [`Tree.flat`]({SITE}/tree.html#tree.flat) and '
                          f'[`Tree`]({SITE}/tree.html#tree), on the [`train`]({SITE}/run.html#train) split.'
                          if bad else f'# Tree\n\n![the tree]({img})\n\nSee [`Tree`]({SITE}/tree.html#tree), on the training '
                          f'split of [`train()`]({SITE}/run.html#train).'),
        _code('from nbdev.showdoc import show_doc' if bad else '#| echo: false\nfrom nbdev.showdoc import show_doc'),
        _code('show_doc(Tree)', new_output('display_data', {'text/markdown': '---\n\n### Tree\n\n```python\nclass Tree()\n```\n\n*A tree.*'})),
        _code('plot(t)', new_output('display_data', {'image/png': _png(2 * wide, 600), 'text/plain': '<Figure>'},
                                    metadata={'image/png': {'width': wide, 'height': 300}})),
        _code('print(t)', new_output('stream', name='stdout', text=f'short\n{line}\n')),
        _code('t', new_output('execute_result', {'text/plain': line}, execution_count=1)),
    ], html='tree.html')
    index = f'| name | what |\n|---|---|\n| [`train`]({SITE}/run.html#train) | one run |'   # an API index's name column
    shell = ('hiercifar-train --data synthetic --epochs 3 --out results/a-long-folder-name  # a comment that runs on'
             if bad else 'hiercifar-train --data synthetic --epochs 3 \\\n    --out results/a-long-folder-name')
    python = 'x = ' + ' + '.join(['value'] * 20)   # a long Python line wraps on the page (styles.css): no finding
    _page(tmp_path, '01_run', [new_markdown_cell(f'# Run\n\n## train {{#train}}\n\nRuns.\n\n```sh\n{shell}\n```\n\n'
                                                 f'```python\n{python}\n```'),
                               _code('api_index()', new_output('display_data', {'text/markdown': index}))], html='run.html')
    side = {'website': {'sidebar': {'contents': [{'section': 'Start', 'contents': ['00_tree.ipynb', '01_run.ipynb']}]}}}
    if bad: side['website']['sidebar']['contents'].append({'section': 'Alone', 'contents': ['01_run.ipynb']})
    (tmp_path/'sidebar.yml').write_text(yaml.safe_dump(side))
    return tmp_path

def test_check_docs_finds_each_defect(tmp_path):
    cd = _check_docs()
    found = cd.findings(_site(tmp_path, bad=True), SITE, {'Tree.flat': ('tree.html#tree.flat', 'lib/tree.py')})
    by = {}
    for check, page, msg in found: by.setdefault(check, []).append((page, msg))
    assert set(by) == set(cd.CHECKS), sorted(by)
    assert [p for p, _ in by['wide-figure']] == ['00_tree.ipynb'] and '1750 px' in by['wide-figure'][0][1] and 'cell 4' in by['wide-figure'][0][1]
    assert len(by['long-output']) == 2 and all('120 characters' in m for _, m in by['long-output'])   # stdout and a repr
    assert 'use images/tree.png' in by['hotlink'][0][1]
    assert len(by['visible-import']) == 1 and '#| hide' in by['visible-import'][0][1]
    assert len(by['dead-anchor']) == 1 and 'tree.html#tree.flat' in by['dead-anchor'][0][1] and 'show_doc(Tree.flat)' in by['dead-anchor'][0][1]
    assert len(by['ambiguous-link']) == 1
    assert by['one-page-section'] == [('sidebar.yml', by['one-page-section'][0][1])] and '"Alone"' in by['one-page-section'][0][1]
    assert [p for p, _ in by['long-code']] == ['01_run.ipynb'] and 'sh code block has 102 characters' in by['long-code'][0][1]

def test_check_docs_passes_the_fixed_pages(tmp_path):
    cd = _check_docs()
    assert cd.findings(_site(tmp_path, bad=False), SITE, {}) == []

def test_check_docs_limits():
    "A figure exactly at the limit passes, one pixel more fails; the same for output lines; PNG sizes from the header."
    cd = _check_docs()
    assert cd.png_size(_png(3500, 1024)) == (3500, 1024)
    o = {'data': {'image/png': _png(2 * cd.MAX_FIGURE_PX, 10)}, 'metadata': {'image/png': {'width': cd.MAX_FIGURE_PX}}}
    assert cd.shown_width(o) == cd.MAX_FIGURE_PX
    assert cd.shown_width({'data': {'image/png': _png(cd.MAX_FIGURE_PX + 1, 10)}}) == cd.MAX_FIGURE_PX + 1
    assert cd.heading_ids('### Hierarchy.cifar100\n\n## The `train` split\n```\n# not a heading\n```\n## 3 levels') == \
        ['hierarchy.cifar100', 'the-train-split', 'levels']

def test_check_docs_pending_list(tmp_path):
    "Pending findings are reported, not failed; a pending line without findings fails, so the list only shrinks."
    cd = _check_docs()
    found = [('wide-figure', 'a.ipynb', 'cell 1: too wide'), ('long-output', 'b.ipynb', 'cell 2: too long')]
    fail, held = cd.judge(found, {('wide-figure', 'a.ipynb'), ('hotlink', 'c.ipynb')})
    assert held == ['pending wide-figure a.ipynb: cell 1: too wide']
    assert fail[0] == 'long-output b.ipynb: cell 2: too long' and 'hotlink c.ipynb' in fail[1] and 'remove the line' in fail[1]
    (tmp_path/'p.txt').write_text('# comment\nwide-figure a.ipynb  # a note\n\n')
    assert cd.read_pending(tmp_path/'p.txt') == {('wide-figure', 'a.ipynb')}
    (tmp_path/'p.txt').write_text('wide-figures a.ipynb\n')
    with pytest.raises(SystemExit, match='unknown check'): cd.read_pending(tmp_path/'p.txt')
    assert all(l.split()[0] in cd.CHECKS for l in (REPO/'.ci'/'docs_pending.txt').read_text().splitlines()
               if l.strip() and not l.startswith('#'))

if __name__ == '__main__':
    # Without Quarto: write README.md as nbdev renders it from nbs/index.ipynb (`nbdev_readme` does the same with Quarto)
    sys.path.insert(0, str(REPO/'tests'))
    (REPO/'README.md').write_text(nbdev_readme_md())
    print('README.md written from nbs/index.ipynb')

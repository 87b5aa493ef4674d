"The docs' sources agree: README.md carries index.ipynb's content, the sidebar lists every notebook."
import re
import nbformat
import yaml
from conftest import REPO

def _norm(s): return re.sub(r'\s+', ' ', s).strip()

def _visible_cells():
    nb = nbformat.read(REPO/'nbs'/'index.ipynb', as_version=4)
    return [c for c in nb.cells if not (c.cell_type == 'code' and re.match(r'#\s*\|\s*hide', c.source))]

def test_readme_matches_index():
    readme = _norm((REPO/'README.md').read_text())
    for c in _visible_cells():
        # README sits one folder up from the notebooks: its image links carry the nbs/ prefix
        assert _norm(c.source.replace('](images/', '](nbs/images/')) in readme, f"README.md is out of step with nbs/index.ipynb; missing:\n{c.source[:300]}"

def test_readme_commands():
    text = (REPO/'README.md').read_text()
    cmds = re.findall(r'```sh\n(.*?)\n```', text, flags=re.S)
    assert len(cmds) == 2 and cmds[1] == 'pip install -e ".[dev]" && pytest tests && nbdev_test'
    assert 'hiercifar-train --data synthetic' in cmds[0] and 'hiercifar-train' in cmds[0].splitlines()[1]
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

def test_images_exist():
    for p in ('README.md', 'nbs/index.ipynb'):
        for img in re.findall(r'!\[[^\]]*\]\(([^)]+\.png)\)', (REPO/p).read_text()):
            base = REPO if p == 'README.md' else REPO/'nbs'
            assert (base/img).exists(), f'{p} shows {img}, which does not exist'

def test_every_page_has_a_summary_and_colab_badge():
    for p in sorted((REPO/'nbs').glob('[0-9]*.ipynb')):
        nb = nbformat.read(p, as_version=4)
        first = nb.cells[0].source
        assert first.startswith('# ') and '\n> ' in first, f'{p.name}: title and one-sentence summary first'
        if p.stem != '10_api':
            assert f'colab.research.google.com/github/hiercifar/hiercifar/blob/main/nbs/{p.name}' in ''.join(c.source for c in nb.cells[:3]), p.name
            first_code = next(c for c in nb.cells if c.cell_type == 'code').source
            assert "'google.colab' in sys.modules" in first_code and 'pip' in first_code, f'{p.name}: first code cell installs in Colab'

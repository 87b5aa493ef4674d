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
        assert _norm(c.source) in readme, f"README.md is out of step with nbs/index.ipynb; missing:\n{c.source[:300]}"

def test_readme_commands():
    text = (REPO/'README.md').read_text()
    cmds = re.findall(r'```sh\n(.*?)\n```', text, flags=re.S)
    assert len(cmds) == 2 and cmds[1] == 'pip install -e ".[dev]" && pytest tests && nbdev_test'
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

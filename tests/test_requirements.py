"""Every import is declared. Each module the package (or a notebook) imports, at the top or inside a function,
must be the standard library, hiercifar itself, or come from a distribution that settings.ini names: the package's
own imports in `requirements` or an extra (`interactive`, `search`), the notebooks' also in `dev_requirements`.
A package installed by hand on a contributor's machine cannot hide a missing requirement from this test."""
import ast, configparser, functools, json, re, shlex, sys
from importlib import metadata
from pathlib import Path
import pytest
from packaging.requirements import Requirement
from conftest import REPO

def norm(name): return re.sub(r'[-_.]+', '-', name).lower()

def declared() -> dict:
    "settings.ini's requirement lists, by key: {'requirements': {...}, 'interactive_requirements': {...}, ...}."
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(REPO/'settings.ini', encoding='utf-8')
    return {k: {norm(Requirement(r).name) for r in shlex.split(v)} for k, v in cfg['DEFAULT'].items()
            if k.endswith('requirements')}

def imports(src:str) -> set:
    "Top-level names of the absolute imports in Python source, wherever they stand (top level or in a function)."
    names = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import): names |= {a.name.split('.')[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names.add(node.module.split('.')[0])
    return names

def notebook_source(path:Path) -> str:
    "A notebook's code cells as Python (IPython magics and shell lines dropped)."
    cells = [''.join(c['source']) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code']
    return '\n'.join(l for c in cells for l in c.splitlines() if not l.lstrip().startswith(('%', '!')))

# Import names whose distribution has another name, for when the distribution is not installed here.
KNOWN = {'PIL': 'pillow', 'yaml': 'pyyaml', 'IPython': 'ipython', 'sklearn': 'scikit-learn'}
# Distributions that come with a declared one by definition (torch's own dependency, matplotlib's image library, ...):
# the import is fine only while the declaring package keeps them; each entry says which one it rides on.
RIDES_ON = {'pillow': 'torchvision', 'ipython': 'ipywidgets', 'packaging': 'matplotlib', 'matplotlib-inline': 'ipywidgets'}

# Modules that exist only where they are used and are imported only there: `google.colab` inside Colab.
HOSTED = {'google'}

@functools.cache
def providers() -> dict: return metadata.packages_distributions()

def distribution(name:str) -> str|None:
    "The distribution that provides the import name, or None for the standard library, hiercifar and Colab's own."
    if name in sys.stdlib_module_names or name in ('hiercifar', '__future__') or name in HOSTED: return None
    dists = providers().get(name)
    return norm(dists[0]) if dists else norm(KNOWN.get(name, name))

def undeclared(names:set, allowed:set) -> dict:
    out = {}
    for n in sorted(names):
        d = distribution(n)
        if d is None or d in allowed: continue
        if d in RIDES_ON and RIDES_ON[d] in allowed: continue
        out[n] = d
    return out

def test_imports_are_parsed():
    src = "import os, numpy.linalg\nfrom torch import nn\ndef f():\n    import plotly.graph_objects as go\nfrom . import data"
    assert imports(src) == {'os', 'numpy', 'torch', 'plotly'}
    assert distribution('os') is None and distribution('hiercifar') is None and distribution('PIL') == 'pillow'
    assert undeclared({'os', 'scipy', 'numpy'}, {'numpy'}) == {'scipy': 'scipy'}     # a missing one is caught

def test_every_package_import_is_declared():
    d = declared()
    allowed = d['requirements'] | d.get('interactive_requirements', set()) | d.get('search_requirements', set())
    bad = {p.name: undeclared(imports(p.read_text()), allowed) for p in sorted((REPO/'hiercifar').glob('*.py'))}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"imported but not in settings.ini's requirements or extras: {bad}"

def test_optional_imports_are_extras_only():
    "What an extra brings (plotly, optuna, anywidget) is imported inside functions, so a plain install imports fine."
    d = declared()
    extra = (d.get('interactive_requirements', set()) | d.get('search_requirements', set())) - d['requirements']
    for p in sorted((REPO/'hiercifar').glob('*.py')):
        top = set()
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)): top |= imports(ast.unparse(node))
        assert not {n for n in top if distribution(n) in extra}, f"{p.name} imports an extra at module level"

@pytest.mark.parametrize('nb', sorted(p.name for p in (REPO/'nbs').glob('*.ipynb')))
def test_every_notebook_import_is_declared(nb):
    allowed = set().union(*declared().values())
    bad = undeclared(imports(notebook_source(REPO/'nbs'/nb)), allowed)
    assert not bad, f"{nb} imports {bad}: add them to settings.ini (requirements, an extra, or dev_requirements)"

def unguarded_imports(src:str, names:set) -> set:
    "Import names from `names` that `src` imports outside a `try` whose handlers catch ImportError."
    tree, out = ast.parse(src), set()
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                h.type is None or any(n in ast.unparse(h.type) for n in ('ImportError', 'ModuleNotFoundError', 'Exception'))
                for h in node.handlers):
            for stmt in node.body: guarded |= {id(n) for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in guarded:
            out |= imports(ast.unparse(node)) & names
    return out

def test_unguarded_imports_are_found():
    src = "try: from nbdev.showdoc import show_doc\nexcept ImportError: show_doc = None\nimport execnb\nfrom torch import nn"
    assert unguarded_imports(src, {'nbdev', 'execnb'}) == {'execnb'}

@pytest.mark.parametrize('nb', sorted(p.name for p in (REPO/'nbs').glob('*.ipynb')))
def test_notebooks_open_without_contributor_tools(nb):
    "A student's Colab or fresh Jupyter has the package, not its dev extras: a notebook imports a contributor tool (nbdev, "
    "execnb, pytest, ...) only inside `try: ... except ImportError`, with a fallback (issue 28: notebooks that open anywhere)."
    d = declared()
    runtime = d['requirements'] | d.get('interactive_requirements', set()) | d.get('search_requirements', set())
    src = notebook_source(REPO/'nbs'/nb)
    dev_only = {n for n in imports(src) if (dist := distribution(n)) is not None and dist in d['dev_requirements'] - runtime
                and not (dist in RIDES_ON and RIDES_ON[dist] in runtime)}
    bad = unguarded_imports(src, dev_only)
    assert not bad, f"{nb} imports the contributor tool(s) {sorted(bad)} unguarded: a fresh Colab lacks them (wrap in try/except ImportError)"

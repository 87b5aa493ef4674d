"What `pip install hiercifar` brings in: the run-time dependency closure, read from the installed distributions' metadata."
import re
from importlib import metadata
import pytest
from packaging.requirements import Requirement

WEB = {'python-fasthtml', 'starlette', 'uvicorn', 'httpx', 'apsw', 'fastspec', 'fastlite', 'oauthlib'}

def norm(name): return re.sub(r'[-_.]+', '-', name).lower()

def closure(root:str) -> set:
    "Names of the installed distributions `root` needs at run time (its extras and optional markers left out)."
    seen, todo = set(), [root]
    while todo:
        name = norm(todo.pop())
        if name in seen: continue
        seen.add(name)
        try: reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError: continue   # e.g. a platform-only dependency not installed here
        for r in map(Requirement, reqs):
            if r.marker is None or r.marker.evaluate({'extra': ''}): todo.append(r.name)
    return seen

@pytest.fixture(scope='module')
def runtime():
    try: metadata.version('hiercifar')
    except metadata.PackageNotFoundError: pytest.skip("hiercifar is not pip-installed here (pip install -e .)")
    return closure('hiercifar')

def test_closure_walks_the_tree(runtime):
    # the walk follows dependencies of dependencies: matplotlib comes from hiercifar, pyparsing only through matplotlib
    assert {'torch', 'torchvision', 'matplotlib', 'fastprogress', 'fastcore', 'pyparsing'} <= runtime
    assert 'nbdev' not in runtime and 'pytest' not in runtime and 'optuna' not in runtime   # dev and search extras stay out

def test_no_web_framework(runtime):
    assert not runtime & WEB, f"pip install hiercifar would bring in {sorted(runtime & WEB)}"

def test_fastprogress_pinned_below_the_fasthtml_chain():
    v = tuple(int(p) for p in metadata.version('fastprogress').split('.')[:2])
    assert v < (1, 1), f"fastprogress {metadata.version('fastprogress')} requires python-fasthtml; settings.ini pins <1.1"
    reqs = {norm(Requirement(r).name) for r in metadata.requires('fastprogress') or []}
    assert 'python-fasthtml' not in reqs

"The package's layout: intra-package imports (top-level and inside functions) form a stack, and exported lines fit the page."
import ast
from pathlib import Path
import pytest

PKG = Path(__file__).resolve().parents[1]/'hiercifar'
MAX_LINE = 140
# every module's exported lines fit MAX_LINE
WRAPPED = {p.stem for p in PKG.glob('*.py')} - {'__init__', '_modidx'}   # every module

def import_graph(pkg:Path=PKG) -> dict:
    "module → the package's modules it imports, anywhere in its file (function-level lazy imports included)."
    mods = {p.stem for p in pkg.glob('*.py')} - {'__init__', '_modidx'}
    g = {}
    for m in sorted(mods):
        deps = set()
        for node in ast.walk(ast.parse((pkg/f'{m}.py').read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module: deps.add(node.module.split('.')[0])
                elif node.level == 1: deps.update(a.name for a in node.names)
                elif (node.module or '').startswith('hiercifar.'): deps.add(node.module.split('.')[1])
                elif node.module == 'hiercifar': deps.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name.split('.')[1] for a in node.names if a.name.startswith('hiercifar.'))
        g[m] = sorted((deps & mods) - {m})
    return g

def find_cycle(g:dict) -> list|None:
    "One cycle of `g` as a list of modules, or None if `g` is a DAG."
    state, stack = {}, []
    def visit(m):
        state[m] = 'open'; stack.append(m)
        for d in g.get(m, ()):
            if state.get(d) == 'open': return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)): return c
        state[m] = 'done'; stack.pop()
    for m in g:
        if m not in state and (c := visit(m)): return c

def test_import_graph_is_a_stack():
    g = import_graph()
    assert {'hierarchy', 'severity', 'device', 'models', 'losses', 'learner', 'metrics'} <= set(g)
    assert find_cycle(g) is None, f"import cycle: {' → '.join(find_cycle(g))}"
    assert g['hierarchy'] == [] and g['severity'] == ['hierarchy']
    assert not {'next_steps', 'longtail', 'scratch', 'metric_learning', 'pretrain'} & {d for m in ('models', 'losses', 'learner', 'metrics', 'experiments') for d in g[m]}

def test_find_cycle_finds_one():
    assert find_cycle({'a': ['b'], 'b': ['c'], 'c': ['a']}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': ['b', 'c'], 'b': ['c'], 'c': []}) is None

def test_registry_is_filled_by_its_own_module():
    import subprocess, sys
    out = subprocess.run([sys.executable, '-c', "from hiercifar.losses import LOSSES; print('learned_levels' in LOSSES)"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == 'True'

@pytest.mark.parametrize('mod', sorted(WRAPPED))
def test_exported_lines_fit_the_page(mod):
    lines = (PKG/f'{mod}.py').read_text().splitlines()
    # line 1 is the module docstring nbdev writes from the page's one-sentence summary (it wraps on the page)
    long = [(i, len(l)) for i, l in enumerate(lines, 1) if len(l) > MAX_LINE and i > 1]
    assert not long, f'{mod}.py: lines longer than {MAX_LINE} characters (line, length): {long[:10]}'

if __name__ == '__main__':
    for m, d in import_graph().items(): print(f'{m:16} → {", ".join(d) or "-"}')
    print('cycle:', find_cycle(import_graph()))

"""The checked exercises of the core lessons (hiercifar.checks_core): every checker passes its reference solution
(teachers/solutions/), fails each typical wrong answer with the intended hint, and answers an empty stub with a
hint rather than an exception; every exercise has its stub cell in its lesson notebook."""
import importlib.util, json
from pathlib import Path
import pytest
from hiercifar.checks_core import check

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO/'teachers'/'solutions'
LESSONS = {'00': '00_hierarchy', '00b': '00b_severity', '01': '01_data', '01b': '01b_datasets', '02': '02_models',
           '02b': '02b_device', '03': '03_losses', '04': '04_learner', '05': '05_metrics', '08': '08_tutorial'}

def _load(lesson):
    path = SOLUTIONS/f'{lesson}.py'
    spec = importlib.util.spec_from_file_location(f'solutions_{lesson}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

SOL = {k: _load(v) for k, v in LESSONS.items()}
RIGHT = {n: a for m in SOL.values() for n, a in m.RIGHT.items()}
WRONG = {n: w for m in SOL.values() for n, w in m.WRONG.items()}
NAMES = check.names()
CASES = [(n, i) for n in NAMES for i in range(len(WRONG.get(n, [])))]

def test_every_lesson_has_two_checked_exercises():
    for k in LESSONS: assert sum(n.split('.')[0] == k for n in NAMES) >= 2, k
    assert len(NAMES) >= 20

def test_every_exercise_has_a_reference_and_wrong_answers():
    assert set(RIGHT) == set(NAMES), set(RIGHT) ^ set(NAMES)
    assert set(WRONG) == set(NAMES), set(WRONG) ^ set(NAMES)
    assert all(len(WRONG[n]) >= 1 for n in NAMES)

def test_solutions_live_outside_the_package():
    assert not (REPO/'hiercifar'/'solutions').exists()
    assert 'teachers' not in (REPO/'settings.ini').read_text()

@pytest.mark.parametrize('name', NAMES)
def test_reference_passes(name):
    r = check(name, RIGHT[name])
    assert r.ok, f'{name}: {r.message}'
    assert r.message == check.exercises[name][1]

@pytest.mark.parametrize('name,i', CASES)
def test_wrong_answer_fails_with_its_hint(name, i):
    answer, fragment = WRONG[name][i]
    r = check(name, answer)
    assert not r.ok, f'{name}: wrong answer {i} passed'
    assert fragment in r.message, f'{name}: wrong answer {i} gave {r.message!r}, expected {fragment!r}'

def _stub(*args, **kwargs): ...

class _StubCallback: ...

@pytest.mark.parametrize('name', NAMES)
def test_empty_stub_fails_gracefully(name):
    for answer in (None, _StubCallback if name == '04.lr_recorder' else _stub):
        r = check(name, answer)
        assert not r.ok and r.message and 'Traceback' not in r.message
    if name != '04.lr_recorder': assert 'your function returned None' in check(name, _stub).message

def test_an_error_in_the_answer_becomes_a_hint():
    def lca_level(hier, i, j): return hier.no_such_thing
    r = check('00.lca_level', lca_level)
    assert not r.ok and 'AttributeError' in r.message and '`lca_level`' in r.message

def _cells(nb):
    return [''.join(c['source']) for c in json.loads((REPO/'nbs'/f'{nb}.ipynb').read_text())['cells']]

@pytest.mark.parametrize('key', list(LESSONS))
def test_lesson_has_stub_cells_and_no_solution(key):
    cells = _cells(LESSONS[key])
    ex = next(i for i, s in enumerate(cells) if s.startswith('## Exercises'))
    assert cells[ex + 1].strip().startswith('from hiercifar.checks_core import check')
    names = [n for n in NAMES if n.split('.')[0] == key]
    code = '\n'.join(cells[ex + 2:ex + 2 + len(names)])
    for n in names:
        assert f"check('{n}'," in code, f'{LESSONS[key]}: no stub cell for {n}'
        assert f'**({n})**' not in cells[ex] and '(checked)' in cells[ex]

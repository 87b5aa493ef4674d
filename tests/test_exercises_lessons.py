"The checked exercises of the lessons 06, 07, 11-15 (hiercifar.checks_lessons) against the teachers' reference answers."
import importlib.util, json, re
from pathlib import Path
import pytest
from hiercifar.checks_lessons import check

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO/'teachers'/'solutions'
LESSONS = ('06_experiments', '06a_config', '06b_runs', '06c_summary', '07_widgets', '09_cli', '11_next_steps', '12_long_tail',
           '13_from_scratch', '14_metric_learning', '15_pretraining')

def _key(stem): return stem.split('_')[0]   # the lesson's number, as its exercises' names start: '06a_config' → '06a'

def _load(stem):
    spec = importlib.util.spec_from_file_location(f'solutions_{stem}', SOLUTIONS/f'{stem}.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

MODS = {s: _load(s) for s in LESSONS}
RIGHT = {k: v for m in MODS.values() for k, v in m.RIGHT.items()}
WRONG = {k: v for m in MODS.values() for k, v in m.WRONG.items()}
NAMES = check.names()
CASES = [(n, i) for n in NAMES for i in range(len(WRONG.get(n, ())))]

def test_every_exercise_has_answers():
    assert len(NAMES) >= 22
    for stem in LESSONS: assert sum(n.startswith(_key(stem) + '.') for n in NAMES) >= 2, stem
    assert set(RIGHT) == set(NAMES) == set(WRONG)
    for n in NAMES: assert len(WRONG[n]) >= 1, n
    for stem, m in MODS.items(): assert all(k.startswith(_key(stem) + '.') for k in m.RIGHT), stem

@pytest.mark.parametrize('name', NAMES)
def test_reference_passes(name):
    r = check(name, RIGHT[name])
    assert r.ok, r.message

@pytest.mark.parametrize('name,i', CASES)
def test_wrong_answer_gets_its_hint(name, i):
    wrong, fragment = WRONG[name][i]
    r = check(name, wrong)
    assert not r.ok and fragment in r.message, r.message

@pytest.mark.parametrize('name', NAMES)
def test_stub_fails_gracefully(name):
    "The notebook's stub (a body of `...`) gets a hint, not an exception; a function that raises gets one too."
    def stub(*args): ...
    r = check(name, stub)
    assert not r.ok and r.message
    def broken(*args): raise RuntimeError('boom')
    r = check(name, broken)
    assert not r.ok and 'RuntimeError' in r.message, r.message

def test_lesson_notebooks_call_every_exercise():
    "Each lesson imports the checker and has one stub cell per exercise, whose saved output is the stub's hint."
    for stem in LESSONS:
        cells = json.loads((REPO/'nbs'/f'{stem}.ipynb').read_text())['cells']
        src = [''.join(c['source']) for c in cells]
        assert 'from hiercifar.checks_lessons import check' in src, stem
        for n in (n for n in NAMES if n.startswith(_key(stem) + '.')):
            cell = next(c for c, s in zip(cells, src) if c['cell_type'] == 'code' and re.search(rf"check\('{re.escape(n)}'", s))
            shown = ''.join(''.join(o.get('data', {}).get('text/plain', '')) for o in cell['outputs'])
            assert shown.startswith(f'✗ not yet ({n})'), (n, shown)

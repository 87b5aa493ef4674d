"Reference answers to the checked exercises of 06_experiments (for teachers; not shown to students)."
import itertools, math

def n_runs(splits, losses, seeds, grid):
    "How many runs `run_experiments` trains: splits × losses × seeds × the distinct points of the grid."
    points = [dict(zip(grid, vs)) for vs in itertools.product(*grid.values())] if grid else [{}]
    distinct = [p for i, p in enumerate(points) if p not in points[:i]]
    return len(splits) * len(losses) * len(seeds) * len(distinct)

def check_split(split):
    "'official', or a train fraction strictly between 0 and 1 as a float; anything else: one ValueError naming it."
    if split == 'official': return split
    try: f = float(split)
    except (TypeError, ValueError): f = math.nan
    if not 0 < f < 1: raise ValueError(f"split must be 'official' or a train fraction between 0 and 1, got {split!r}")
    return f

def _sum_runs(splits, losses, seeds, grid):
    return len(splits) * len(losses) * len(seeds) * (sum(len(v) for v in grid.values()) if grid else 1)

def _no_nan(split):
    if split == 'official': return split
    try: f = float(split)
    except (TypeError, ValueError): raise ValueError(f"split must be a number, got {split!r}")
    if f <= 0 or f >= 1: raise ValueError(f"split must be between 0 and 1, got {split!r}")
    return f

def _vague(split):
    if split == 'official': return split
    try: f = float(split)
    except (TypeError, ValueError): f = math.nan
    if not 0 < f < 1: raise ValueError("bad split")
    return f

RIGHT = {'06.n_runs': n_runs, '06.check_split': check_split}
WRONG = {'06.n_runs': [(_sum_runs, "multiply, don't add"),
                       (lambda s, l, sd, g: len(s) * len(l) * len(sd) * math.prod(len(v) for v in g.values()) if g else 0,
                        'with no grid'),
                       (lambda s, l, sd, g: len(s) * len(l) * len(sd) * (math.prod(len(v) for v in g.values()) if g else 1),
                        'a value given twice is one point')],
         '06.check_split': [(_no_nan, 'nan compares False'), (_vague, 'should say what it got'),
                            (lambda s: s if s == 'official' else float(s), "check_split(0) returned 0.0")]}

"Reference answers to the checked exercises of 06c_summary (for teachers; not shown to students)."
import math
import pandas as pd

def mean_std(values):
    "The mean of the values over random seeds and their sample standard deviation (nan for one value)."
    n = len(values)
    m = sum(values) / n
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else math.nan
    return m, s

def summarise(rows):
    "One row per (split, loss): how many seeds, and the mean of every metric over them."
    df = pd.DataFrame(rows)
    out = df.drop(columns='seed').groupby(['split', 'loss']).mean()
    out.insert(0, 'seeds', df.groupby(['split', 'loss']).size())
    return out

# typical wrong answers
def _population(values):
    n = len(values); m = sum(values) / n
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / n)

def _zero_for_one(values):
    n = len(values); m = sum(values) / n
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else 0.

def _per_seed(rows): return pd.DataFrame(rows).assign(seeds=1)

def _no_count(rows): return pd.DataFrame(rows).groupby(['split', 'loss']).mean().drop(columns='seed')

def _seed_mean(rows):
    df = pd.DataFrame(rows); g = df.groupby(['split', 'loss'])
    return g.mean().assign(seeds=g.size())

def _seed_sum(rows):
    df = pd.DataFrame(rows); g = df.groupby(['split', 'loss'])
    return df.drop(columns='seed').groupby(['split', 'loss']).mean().assign(seeds=g.seed.sum())

RIGHT = {'06c.mean_std': mean_std, '06c.summarise': summarise}
WRONG = {'06c.mean_std': [(_population, "divide by n − 1"), (_zero_for_one, "one random seed says nothing about the spread"),
                          (lambda v: (sum(v) / len(v), max(v) - min(v)), "the spread of the values around their mean")],
         '06c.summarise': [(_per_seed, "the seed is no setting to compare"), (_no_count, "your table has no column seeds"),
                           (_seed_mean, "the mean of the seed numbers means nothing"),
                           (_seed_sum, "seeds counts the runs of that row")]}

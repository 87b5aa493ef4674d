"""Latency of the what-if panel's recomputation: 10,000 cached predictions × 100 classes.

    python bench/whatif_latency.py [--n 10000] [--reps 50]

A slider move recomputes the CRM decision under new severity weights and the statistics of both decisions
(`WhatIf.compute`), then renders the HTML (`WhatIf.render`). Prints the median and 95th percentile of each.
"""
import argparse, statistics, time
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.metrics import Preds
from hiercifar.widgets import WhatIf

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--n', type=int, default=10_000)
p.add_argument('--reps', type=int, default=50)
args = p.parse_args()
h = Hierarchy.cifar100()
g = torch.Generator().manual_seed(0)
y = torch.randint(0, 100, (args.n,), generator=g)
logits = torch.randn(args.n, 100, generator=g) * 2
logits[torch.arange(args.n), y] += 3          # a model that is right about half the time
out = {'fine': logits, 'coarse': torch.randn(args.n, 20, generator=g), 'group': torch.randn(args.n, 9, generator=g)}
wi = WhatIf(Preds(out, h.labels(y), h))
comp, rend = [], []
for i in range(args.reps):
    w = (1., 2. + i % 5, 3. + i % 7)
    t0 = time.perf_counter(); wi.stats = wi.compute(w); t1 = time.perf_counter(); wi.render(); t2 = time.perf_counter()
    comp.append(1000 * (t1 - t0)); rend.append(1000 * (t2 - t1))
q = lambda v: (statistics.median(v), sorted(v)[int(0.95 * len(v)) - 1])
print(f"{args.n} samples × 100 classes, {torch.get_num_threads()} threads, {args.reps} slider moves")
print(f"recompute (CRM + statistics): median {q(comp)[0]:.2f} ms, p95 {q(comp)[1]:.2f} ms")
print(f"render (HTML):                median {q(rend)[0]:.2f} ms, p95 {q(rend)[1]:.2f} ms")
print(f"total per slider move:        median {statistics.median([a + b for a, b in zip(comp, rend)]):.2f} ms (budget: 100 ms)")

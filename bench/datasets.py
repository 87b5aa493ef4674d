"""Full-size generated Tiny ImageNet (100,000 + 10,000 JPEGs) and STL-10 (5,000 + 8,000 + 100,000 unlabeled):
write time, first load, cached load, and peak memory, each step in a fresh process.

    python bench/datasets.py [--root /tmp/hiercifar-bench] [--keep]

Peak memory is the process's peak resident set (`resource.getrusage`), minus that of a process that only imports the
package (printed as the baseline). Memory-mapped files count once their pages are touched: the "touch" column reads
every pixel (a max) after loading, as an epoch over all of them would. Numbers depend on the machine and on the page
cache (the files were just written, so they are in it): compare within one run only.
"""
import argparse, json, os, resource, shutil, subprocess, sys, time
from pathlib import Path

def step(name:str, root:Path, scale:float=1.) -> dict:
    "Run one step in this process; return its numbers."
    import torch
    import hiercifar.datasets as ds
    out, t0 = {}, time.perf_counter()
    def touch(*xs):
        t = time.perf_counter()
        for x in xs:
            for lo in range(0, len(x), 10_000): x[lo:lo + 10_000].amax()   # reads every byte, allocates nothing big
        out['touch_s'] = time.perf_counter() - t
    n = lambda k: max(1, round(k * scale))
    if name == 'tiny_write': ds.write_synthetic_tinyimagenet(root, n(500), n(50))
    elif name == 'tiny_load_first':
        for c in (root/ds.TINY_DIR).glob(ds.CACHE_PREFIX + '*'): c.unlink()
        d = ds.load_tinyimagenet(root); out['load_s'] = time.perf_counter() - t0; touch(d.train.x, d.test.x)
    elif name == 'tiny_load_cached':
        d = ds.load_tinyimagenet(root); out['load_s'] = time.perf_counter() - t0; touch(d.train.x, d.test.x)
    elif name == 'stl_write': ds.write_synthetic_stl10(root, n(500), n(800), n(100_000))
    elif name == 'stl_load':
        d = ds.load_stl10(root); out['load_s'] = time.perf_counter() - t0; touch(d.train.x, d.test.x)
    elif name == 'stl_load_unlabeled':
        d = ds.load_stl10(root); out['load_s'] = time.perf_counter() - t0; touch(d.train.x, d.test.x, d.unlabeled)
    elif name != 'baseline': raise ValueError(name)
    if name.endswith('_write'): out['write_s'] = time.perf_counter() - t0
    out['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out

def du(p:Path) -> float: return sum(f.stat().st_size for f in p.rglob('*') if f.is_file()) / 2**20

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--root', default='/tmp/hiercifar-bench')
    p.add_argument('--keep', action='store_true', help='keep the generated files')
    p.add_argument('--scale', type=float, default=1., help='fraction of the full sizes (a quick check: 0.01)')
    p.add_argument('--only', choices=('tiny', 'stl'), help='one data set only')
    p.add_argument('--step', help=argparse.SUPPRESS)
    a = p.parse_args()
    root = Path(a.root)
    if a.step: print(json.dumps(step(a.step, root, a.scale))); sys.exit()
    root.mkdir(parents=True, exist_ok=True)
    def run(name):
        r = subprocess.run([sys.executable, __file__, '--step', name, '--root', str(root), '--scale', str(a.scale)], capture_output=True, text=True)
        if r.returncode: sys.exit(f"step {name} failed:\n{r.stderr[-3000:]}")
        return json.loads(r.stdout.strip().splitlines()[-1])
    base = run('baseline')['peak_mb']
    print(f"baseline (python + torch + hiercifar imported): {base:.0f} MB peak resident\n")
    rows = []
    for name, what in [('tiny_write', 'Tiny ImageNet: write 110,000 JPEGs'), ('tiny_load_first', 'Tiny ImageNet: first load (decode + cache)'),
                       ('tiny_load_cached', 'Tiny ImageNet: cached load'), ('stl_write', 'STL-10: write (100,000 unlabeled)'),
                       ('stl_load', 'STL-10: load (unlabeled mapped)'), ('stl_load_unlabeled', 'STL-10: load + read every unlabeled image')]:
        if a.only and not name.startswith(a.only): continue
        r = run(name); rows.append((what, r)); print(f"  done: {what} {r}", file=sys.stderr, flush=True)
    if a.scale != 1: print(f"(sizes scaled by {a.scale})")
    print(f"{'step':46s} {'time (s)':>9s} {'touch all (s)':>14s} {'peak MB over baseline':>22s}")
    for what, r in rows:
        t = r.get('write_s', r.get('load_s'))
        print(f"{what:46s} {t:9.1f} {r['touch_s'] if 'touch_s' in r else float('nan'):14.1f} {r['peak_mb'] - base:22.0f}")
    import hiercifar.datasets as ds
    print(f"\non disk: tiny-imagenet-200 {du(root/ds.TINY_DIR):.0f} MB (cache included), stl10_binary {du(root/ds.STL_DIR):.0f} MB"
          if not a.only else '')
    if not a.keep: shutil.rmtree(root)

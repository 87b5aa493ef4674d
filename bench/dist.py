"""Several processes on one machine, side by side: (a) the small grid with one worker and with two workers sharing it,
(b) one run with one rank and with two ranks (torchrun, DistributedDataParallel; gloo on CPUs, nccl on GPUs).

Every variant gets the same cores: one worker / one rank uses all of them (OMP_NUM_THREADS=cores), two split them.
The epoch time is the median of the epochs after the first (the history's `time` column). Not a test: run it by hand.

    python bench/dist.py [--n_train 20] [--epochs 3] [--model cnn] [--device cpu]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from hiercifar.data import write_synthetic_cifar100

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--n_train', type=int, default=20, help='generated training images per class (the test part gets a fifth)')
p.add_argument('--epochs', type=int, default=3)
p.add_argument('--bs', type=int, default=128)
p.add_argument('--model', default='cnn')
p.add_argument('--device', default='cpu')
p.add_argument('--cores', type=int, default=os.cpu_count())
args = p.parse_args()

tmp = Path(tempfile.mkdtemp())
write_synthetic_cifar100(tmp, n_train=args.n_train, n_test=max(args.n_train // 5, 1), seed=0)
env = lambda threads: {**os.environ, 'OMP_NUM_THREADS': str(threads)}
common = ['--data', str(tmp), '--offline', '--model', args.model, '--epochs', str(args.epochs), '--bs', str(args.bs), '--device', args.device]

def grid(workers:int) -> float:
    out = tmp/f'grid{workers}'
    cmd = [sys.executable, '-c', 'from hiercifar.cli import experiments_main; experiments_main()', *common,
           '--splits', '0.7,0.9', '--losses', 'multihead,hce', '--out', str(out), '--quiet']
    t0 = time.perf_counter()
    ps = [subprocess.Popen(cmd, env=env(max(args.cores // workers, 1)), stdout=subprocess.DEVNULL) for _ in range(workers)]
    assert all(p.wait() == 0 for p in ps)
    return time.perf_counter() - t0

def epoch_time(ranks:int) -> float:
    out = tmp/f'run{ranks}'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(ranks), str(tmp/'train.py'), *common, '--out', str(out)]
    subprocess.run(cmd, env=env(max(args.cores // ranks, 1)), check=True, stdout=subprocess.DEVNULL)
    t = pd.read_csv(out/'history.csv')['time'].diff().dropna()
    return statistics.median(t)

(tmp/'train.py').write_text('from hiercifar.cli import train_main; train_main()\n')
print(f"{os.cpu_count()} cores; {args.model}, {args.n_train} training images per class, {args.epochs} epochs, bs {args.bs}, {args.device}")
g1, g2 = grid(1), grid(2)
print(f"grid of 4 runs: 1 worker {g1:.1f}s, 2 workers {g2:.1f}s  (1 worker / 2 workers = {g1 / g2:.2f}x)")
e1, e2 = epoch_time(1), epoch_time(2)
print(f"one run, per epoch: 1 rank {e1:.2f}s, 2 ranks {e2:.2f}s  (1 rank / 2 ranks = {e1 / e2:.2f}x)")

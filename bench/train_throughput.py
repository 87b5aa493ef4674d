"""Training throughput: hiercifar's pipeline against a seed-style one, side by side in one run.

(a) hiercifar: the whole data set in memory as uint8 on the device, crop + flip + normalise on whole batches,
    channels_last, autocast (bf16 where the CPU/GPU has it) -- the `Learner` defaults.
(b) seed-style: torchvision's CIFAR100 dataset read from the same files, per-image PIL transforms
    (RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize) in DataLoader workers, fp32, NCHW.

Same model (the seeds' three-headed CNN), same loss, same batch size, same optimiser. The two are measured in
alternating blocks so that a noisy machine slows both alike; the medians are reported. Then the achieved
GFLOP/s of each training step against the measured matmul peak of this machine. Not a test: run it by hand.

    python bench/train_throughput.py [--steps 15] [--rounds 3] [--bs 256] [--workers 2]
"""
import argparse, statistics, tempfile, time
from pathlib import Path
import torch
from torch.utils.flop_counter import FlopCounterMode
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import write_synthetic_cifar100, load_cifar100, Loader, CIFAR100_MEAN, CIFAR100_STD, default_device
from hiercifar.models import multihead_cnn, autocast_dtype, to_channels_last
from hiercifar.losses import MultiHeadCE

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--steps', type=int, default=15, help='timed training steps per block')
p.add_argument('--rounds', type=int, default=3, help='alternating blocks per pipeline')
p.add_argument('--bs', type=int, default=256)
p.add_argument('--workers', type=int, default=2, help='DataLoader workers of the seed-style pipeline')
args = p.parse_args()

dev = default_device()
h = Hierarchy.cifar100()
root = Path(tempfile.mkdtemp())
t0 = time.perf_counter(); write_synthetic_cifar100(root, 500, 100, seed=0)
print(f"wrote full-size generated CIFAR-100 (60,000 images) in {time.perf_counter() - t0:.1f}s")
t0 = time.perf_counter(); data = load_cifar100(root)
print(f"loaded it into memory in {time.perf_counter() - t0:.2f}s; device {dev}, {torch.get_num_threads()} threads")
loss_fn = MultiHeadCE(h)

def make_model(fast):
    torch.manual_seed(0)
    m = multihead_cnn(h).to(dev).train()
    return to_channels_last(m) if fast else m

amp = autocast_dtype(dev)

def step_fn(model, opt, fast):
    def step(xb, yb):
        with torch.autocast(dev.type, dtype=amp or torch.float32, enabled=fast and amp is not None):
            loss = loss_fn(model(xb), yb)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step

# (a) hiercifar
fast_model = make_model(True)
fast_step = step_fn(fast_model, torch.optim.AdamW(fast_model.parameters(), 1e-3), True)
fast_loader = Loader(data.train, args.bs, shuffle=True, augment=True, device=dev, channels_last=True)
def fast_batches():
    while True: yield from fast_loader
fast_it = fast_batches()

# (b) seed-style
from torchvision import transforms as T
from torchvision.datasets import CIFAR100
class Unchecked(CIFAR100):
    def _check_integrity(self): return True   # generated files: torchvision's md5s are the real archive's
tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(CIFAR100_MEAN, CIFAR100_STD)])
ds = Unchecked(str(root), train=True, transform=tf)
dl = torch.utils.data.DataLoader(ds, batch_size=args.bs, shuffle=True, num_workers=args.workers, drop_last=True,
                                 persistent_workers=args.workers > 0, pin_memory=dev.type == 'cuda')
def seed_batches():
    while True:
        for x, y in dl:
            yield x.to(dev), h.labels(y.to(dev))
seed_it = seed_batches()
seed_model = make_model(False)
seed_step = step_fn(seed_model, torch.optim.AdamW(seed_model.parameters(), 1e-3), False)

def sync():
    if dev.type == 'cuda': torch.cuda.synchronize()

def block(it, step, n):
    "Images per second over `n` steps (data loading included)."
    sync(); t = time.perf_counter()
    for _ in range(n): step(*next(it))
    sync(); return n * args.bs / (time.perf_counter() - t)

for it, step in ((fast_it, fast_step), (seed_it, seed_step)): block(it, step, 3)   # warm-up (workers, kernels)
rates = {'hiercifar': [], 'seed-style': []}
for r in range(args.rounds):
    rates['hiercifar'].append(block(fast_it, fast_step, args.steps))
    rates['seed-style'].append(block(seed_it, seed_step, args.steps))
    print(f"round {r + 1}: hiercifar {rates['hiercifar'][-1]:7.1f} img/s   seed-style {rates['seed-style'][-1]:7.1f} img/s", flush=True)

# FLOPs of one training step (forward + backward), counted by PyTorch
xb, yb = next(fast_it)
with FlopCounterMode(display=False) as fc:
    loss_fn(fast_model(xb), yb).backward()
fast_model.zero_grad(set_to_none=True)
flops_per_img = fc.get_total_flops() / args.bs

def matmul_peak(dtype, n=2048, reps=10):
    a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
    for _ in range(2): a @ b
    sync(); t = time.perf_counter()
    for _ in range(reps): a @ b
    sync(); return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9

peak32 = matmul_peak(torch.float32)
peak_amp = matmul_peak(amp) if amp else peak32
med = {k: statistics.median(v) for k, v in rates.items()}
print(f"\ntraining step: {flops_per_img / 1e6:.0f} MFLOP per image (forward + backward)")
print(f"matmul peak measured here: fp32 {peak32:.0f} GFLOP/s" + (f", {str(amp).split('.')[-1]} {peak_amp:.0f} GFLOP/s" if amp else ''))
print(f"hiercifar  ({str(amp).split('.')[-1] if amp else 'fp32'}, channels_last): {med['hiercifar']:7.1f} img/s = "
      f"{med['hiercifar'] * flops_per_img / 1e9:6.1f} GFLOP/s ({100 * med['hiercifar'] * flops_per_img / 1e9 / peak_amp:.0f}% of peak)")
print(f"seed-style (fp32, NCHW, PIL):        {med['seed-style']:7.1f} img/s = "
      f"{med['seed-style'] * flops_per_img / 1e9:6.1f} GFLOP/s ({100 * med['seed-style'] * flops_per_img / 1e9 / peak32:.0f}% of peak)")
print(f"speed-up (hiercifar / seed-style, median of {args.rounds} alternating rounds): {med['hiercifar'] / med['seed-style']:.2f}x")

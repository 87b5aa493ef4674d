"""Does `torch.compile` pay back its compile time here? Eager vs compiled training steps, side by side in one run.

For each model: the eager training step (channels_last, the precision `choose_precision` picks), then the first
compiled step (which compiles forward and backward), then compiled steps. Prints the compile time, the per-step
gain and the break-even point in steps and in epochs of CIFAR-100 (50,000 images). Not a test: run it by hand.

    python bench/compile.py [--bs 64] [--reps 3] [--models cnn,resnet18] [--warm-cache]

By default the compiler's on-disk cache is a fresh, empty folder, so the compile time is what a first run pays
(a later run on the same machine finds its kernels cached and compiles in seconds: --warm-cache measures that).
"""
import argparse, os, sys, tempfile, time
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import default_device
from hiercifar.models import get_model, to_channels_last, choose_precision, precision_dtype
from hiercifar.losses import MultiHeadCE

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--bs', type=int, default=64)
p.add_argument('--reps', type=int, default=3)
p.add_argument('--models', default='cnn,resnet18')
p.add_argument('--warm-cache', action='store_true', help="keep inductor's usual on-disk cache (compiled before: seconds)")
args = p.parse_args()
if not args.warm_cache: os.environ['TORCHINDUCTOR_CACHE_DIR'] = tempfile.mkdtemp(prefix='inductor-cold-')   # before torch compiles anything
dev = default_device()
h = Hierarchy.cifar100()
loss_fn = MultiHeadCE(h)
prec = choose_precision(dev); dtype = precision_dtype(prec)
print(f"device {dev}, {torch.get_num_threads()} threads, precision {prec}, batch {args.bs}, torch {torch.__version__}, "
      f"{'warm' if args.warm_cache else 'cold (empty)'} compiler cache")

def sync():
    if dev.type == 'cuda': torch.cuda.synchronize()

for name in args.models.split(','):
    torch.manual_seed(0)
    model = to_channels_last(get_model(name, h).to(dev).train())
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x = torch.randn(args.bs, 3, 32, 32, device=dev).contiguous(memory_format=torch.channels_last)
    y = h.labels(torch.randint(0, 100, (args.bs,), device=dev))
    def timed(fwd):
        sync(); t = time.perf_counter()
        with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = loss_fn(fwd(x), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        sync(); return time.perf_counter() - t
    timed(model)
    compiled = torch.compile(model)
    first = timed(compiled)                                    # compiles forward and backward
    eager, comp = [], []
    for _ in range(args.reps): eager.append(timed(model)); comp.append(timed(compiled))   # alternate: same noise
    e, c = min(eager), min(comp)
    compile_s = first - c
    gain = e - c
    per_epoch = 50_000 / args.bs
    be = f"{compile_s / gain:.0f} steps = {compile_s / gain / per_epoch:.2f} epochs" if gain > 0 else "never (compiled is not faster)"
    print(f"{name}: eager {e:.3f} s/step, compiled {c:.3f} s/step ({e / c:.2f}x), compile time {compile_s:.0f} s; "
          f"pays back after {be}", flush=True)

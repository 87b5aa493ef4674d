"""Training throughput: hiercifar's pipeline against the course reports' one, side by side in one run.

(a) the course reports' pipeline: torchvision's CIFAR100 dataset read from the same files, per-image PIL transforms
    (RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize) in DataLoader workers, fp32, NCHW.
(b) hiercifar, before issue 19: the whole data set in memory as uint8 on the device, crop + flip + normalise on
    whole batches, channels_last, and bf16 autocast wherever oneDNN/CUDA *said* it supports bf16.
(c) hiercifar now: the same, in the precision `choose_precision(device)` picks ('auto': measured on this machine).

Same model (the course reports' three-headed CNN), same loss, same batch size, same optimiser. The pipelines are
measured in alternating blocks so that a noisy (shared) machine slows them alike; the medians are reported. Then
the achieved GFLOP/s of each training step against the better of the fp32 and bf16 matmul peaks measured in the
same run, and the same figure for the model's convolutions alone (each timed forward + backward at its own
shapes): what the step could reach if everything between the convolutions (batch norm, ReLU, dropout, pooling,
casts, the optimiser) cost nothing. Not a test: run it by hand.

    python bench/train_throughput.py [--steps 8] [--rounds 5] [--bs 256] [--workers 2] [--per-class 100]
                                     [--device cpu|cuda] [--threads N] [--profile] [--variants]

--profile adds the per-operator profile of one of hiercifar's training steps (torch.profiler: forward, backward,
optimiser; self time per operator); --variants times the step variants of bench/step_variants.py side by side.
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
import torch
from torch.utils.flop_counter import FlopCounterMode
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import write_synthetic_cifar100, load_cifar100, Loader, CIFAR100_MEAN, CIFAR100_STD, default_device
from hiercifar.models import multihead_cnn, to_channels_last, choose_precision, precision_dtype, cpu_bf16_supported
from hiercifar.losses import MultiHeadCE

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--steps', type=int, default=8, help='timed training steps per block')
p.add_argument('--rounds', type=int, default=5, help='alternating blocks per pipeline (medians: more rounds, less noise)')
p.add_argument('--bs', type=int, default=256)
p.add_argument('--per-class', type=int, default=100, help='generated training images per class (full size: 500)')
p.add_argument('--workers', type=int, default=2, help="DataLoader workers of the course reports' pipeline")
p.add_argument('--device', default=None, help='cpu or cuda (default: CUDA when available)')
p.add_argument('--threads', type=int, default=None, help="torch.set_num_threads for the whole run (default: PyTorch's)")
p.add_argument('--profile', action='store_true', help="print the per-operator profile of hiercifar's training step")
p.add_argument('--variants', action='store_true', help='time the step variants of bench/step_variants.py side by side')
args = p.parse_args()
if args.threads: torch.set_num_threads(args.threads)

dev = torch.device(args.device) if args.device else default_device()
if dev.type == 'cuda' and not torch.cuda.is_available(): sys.exit("--device cuda asked for, but PyTorch sees no CUDA GPU here")
sys.path.insert(0, str(Path(__file__).parent))
import step_variants
h = Hierarchy.cifar100()
root = Path(tempfile.mkdtemp())
t0 = time.perf_counter(); write_synthetic_cifar100(root, args.per_class, 10, seed=0)
print(f"wrote generated CIFAR-100 files ({100 * args.per_class:,} training images) in {time.perf_counter() - t0:.1f}s")
t0 = time.perf_counter(); data = load_cifar100(root)
print(f"loaded it into memory in {time.perf_counter() - t0:.2f}s; device {dev}, {torch.get_num_threads()} threads")
loss_fn = MultiHeadCE(h)

def sync():
    if dev.type == 'cuda': torch.cuda.synchronize()

# the precisions: what the package did before (trusting "bf16 supported"), and what it chooses now
if dev.type == 'cuda': old = 'bf16' if torch.cuda.is_bf16_supported() else 'fp16'
else: old = 'bf16' if cpu_bf16_supported() else 'fp32'
t0 = time.perf_counter(); new = choose_precision(dev)
print(f"precision before: {old} (the device says it supports it); now: {new} (choose_precision, decided in {time.perf_counter() - t0:.2f}s)")

def make_step(fast, precision):
    torch.manual_seed(0)
    model = multihead_cnn(h).to(dev).train()
    if fast: to_channels_last(model)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    dtype = precision_dtype(precision)
    scaler = torch.amp.GradScaler(dev.type, enabled=dtype == torch.float16)
    def step(xb, yb):
        with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = loss_fn(model(xb), yb)
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=True)
    return model, step

def fast_batches(seed):
    loader = Loader(data.train, args.bs, shuffle=True, augment=True, device=dev, channels_last=True, seed=seed)
    while True: yield from loader

from torchvision import transforms as T
from torchvision.datasets import CIFAR100
class Unchecked(CIFAR100):
    def _check_integrity(self): return True   # generated files: torchvision's md5s are the real archive's
tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(CIFAR100_MEAN, CIFAR100_STD)])
dl = torch.utils.data.DataLoader(Unchecked(str(root), train=True, transform=tf), batch_size=args.bs, shuffle=True,
                                 num_workers=args.workers, drop_last=True, persistent_workers=args.workers > 0,
                                 pin_memory=dev.type == 'cuda')
def report_batches():
    while True:
        for x, y in dl: yield x.to(dev, non_blocking=True), h.labels(y.to(dev, non_blocking=True))

pipes = {'course reports (fp32, NCHW, PIL)': (report_batches(), make_step(False, 'fp32')[1]),
         f'hiercifar before ({old}, channels_last)': (fast_batches(0), make_step(True, old)[1])}
if new != old: pipes[f'hiercifar now ({new}, channels_last)'] = (fast_batches(0), make_step(True, new)[1])
else: print(f"(the automatic choice is the old one on this machine: 'before' and 'now' are the same pipeline)")

def block(it, step, n):
    "Images per second over `n` steps (data loading included)."
    sync(); t = time.perf_counter()
    for _ in range(n): step(*next(it))
    sync(); return n * args.bs / (time.perf_counter() - t)

for it, step in pipes.values(): block(it, step, 2)   # warm-up (workers, kernels)
rates = {k: [] for k in pipes}
for r in range(args.rounds):
    for k, (it, step) in pipes.items(): rates[k].append(block(it, step, args.steps))
    print(f"round {r + 1}: " + '   '.join(f"{k.split(' (')[0]} {v[-1]:6.1f}" for k, v in rates.items()) + " img/s", flush=True)

# FLOPs of one training step (forward + backward), counted by PyTorch
m, _ = make_step(True, 'fp32')
xb, yb = next(fast_batches(1))
with FlopCounterMode(display=False) as fc: loss_fn(m(xb), yb).backward()
flops_per_img = fc.get_total_flops() / args.bs

def matmul_peak(dtype, n=2048, reps=6):
    a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
    for _ in range(2): a @ b
    best = float('inf')
    for _ in range(reps):
        sync(); t = time.perf_counter(); a @ b; sync(); best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9

# bf16 only where the device has it: emulated on a CPU without AVX-512 BF16 or AMX, one 2048² product takes a minute
peaks = {'fp32': matmul_peak(torch.float32)}
if dev.type == 'cuda' or cpu_bf16_supported(): peaks['bf16'] = matmul_peak(torch.bfloat16)
else: print("(bf16 matmul peak not measured: this CPU has no bf16 instructions, so oneDNN would emulate it)")
if dev.type == 'cuda': peaks['fp16'] = matmul_peak(torch.float16)
best_name = max(peaks, key=peaks.get); peak = peaks[best_name]
med = {k: statistics.median(v) for k, v in rates.items()}
base = med['course reports (fp32, NCHW, PIL)']
print(f"\ntraining step: {flops_per_img / 1e6:.0f} MFLOP per image (forward + backward)")
print("matmul peak measured here (best of a few 2048² products): " + ', '.join(f"{k} {v:.0f}" for k, v in peaks.items()) +
      f" GFLOP/s -> reference peak {peak:.0f} ({best_name})")
for k, v in med.items():
    print(f"{k:40s} {v:7.1f} img/s = {v * flops_per_img / 1e9:6.1f} GFLOP/s = {100 * v * flops_per_img / 1e9 / peak:3.0f}% of peak;"
          f" {v / base:.2f}x the course reports'")
print(f"(medians of {args.rounds} alternating rounds of {args.steps} steps of {args.bs} images)")

# The convolutions alone: each of the model's conv layers, forward + backward at its own input shape, in the precision
# `choose_precision` picked, channels_last. Their sum is the least a step can take with these kernels.
import torch.nn as nn, torch.nn.functional as F
m, _ = make_step(True, new)
shapes = []
hooks = [c.register_forward_hook(lambda mod, i, o: shapes.append((mod, tuple(i[0].shape)))) for c in m.modules() if isinstance(c, nn.Conv2d)]
with torch.no_grad(): m(xb)
for hk in hooks: hk.remove()
dtype = precision_dtype(new)
def conv_time(mod, shape, reps=5):
    x = torch.randn(shape, device=dev).contiguous(memory_format=torch.channels_last).requires_grad_(shape[1] != 3)  # no input gradient for the images
    def once():
        with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            y = mod(x)
        y.backward(torch.ones_like(y))
    once(); once()
    best = float('inf')
    for _ in range(reps):
        sync(); t = time.perf_counter(); once(); sync(); best = min(best, time.perf_counter() - t)
    return best
with FlopCounterMode(display=False) as fc:
    for mod, shape in shapes:
        x = torch.randn(shape, device=dev).contiguous(memory_format=torch.channels_last).requires_grad_(shape[1] != 3)
        y = mod(x); y.backward(torch.ones_like(y))
conv_flops = fc.get_total_flops()
conv_s = sum(conv_time(mod, shape) for mod, shape in shapes)
step_s = args.bs / max(med.values())
print(f"\nthe {len(shapes)} convolutions alone ({new}, channels_last): {1e3 * conv_s:.0f} ms of the {1e3 * step_s:.0f} ms step "
      f"({100 * conv_s / step_s:.0f}%), {100 * conv_flops / (flops_per_img * args.bs):.0f}% of its FLOPs, at "
      f"{conv_flops / conv_s / 1e9:.0f} GFLOP/s = {100 * conv_flops / conv_s / 1e9 / peak:.0f}% of peak")
print(f"ceiling: even with everything else free, the step would reach {flops_per_img * args.bs / conv_s / 1e9:.0f} GFLOP/s "
      f"= {100 * flops_per_img * args.bs / conv_s / 1e9 / peak:.0f}% of peak")

best_k = max(med, key=med.get)
pct, ratio = 100 * med[best_k] * flops_per_img / 1e9 / peak, med[best_k] / base
print(f"\nissue 19's goals for {best_k}: step >= 75% of the matmul peak: {'met' if pct >= 75 else 'NOT met'} ({pct:.0f}%); "
      f">= 1.7x the course reports' pipeline: {'met' if ratio >= 1.7 else 'NOT met'} ({ratio:.2f}x)")
share = conv_s / (args.bs / med[best_k])
gpu = dev.type == 'cuda'
print(f"issue 25's goals: the step at >= 90% of its convolution ceiling: {'met' if share >= 0.9 else 'NOT met'} ({100 * share:.0f}%)"
      + (f"; on a GPU >= 5x the course reports' pipeline: {'met' if ratio >= 5 else 'NOT met'} ({ratio:.2f}x)" if gpu else ''))

# torch.compile: what Learner(compile='auto') would decide for a 30-epoch CIFAR-100 run at this step time
from hiercifar.learner import compiler_available, COMPILE_BUDGET_S, COMPILE_SHARE
rest = 30 * (50_000 // args.bs) * args.bs / max(med.values())
budget = COMPILE_BUDGET_S.get(dev.type, float('inf'))
print(f"\ncompile='auto' here: compiler {'available' if compiler_available(dev) else 'NOT available (eager)'}; a 30-epoch "
      f"CIFAR-100 run of about {rest / 60:.0f} min {'would try' if budget <= COMPILE_SHARE * rest else 'would not try'} a compile "
      f"(assumed to take up to {budget:.0f} s), and keeps it only if compiled steps measure faster (bench/compile.py)")

if args.profile: step_variants.profile_step(h, dev, new, args.bs)
if args.variants:
    step_variants.run_eval(h, dev, new, args.bs, args.rounds)
    step_variants.run_variants(h, dev, new, args.bs, max(2, args.steps // 2), args.rounds)

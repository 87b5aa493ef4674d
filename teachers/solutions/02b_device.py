"Reference answers to the checked exercises of 02b_device (teachers only; not part of the package)."

def pick_precision(fp32, bf16, min_speedup=1.1):
    "fp32 and bf16: measured step times in seconds, the first of each a warm-up."
    speedup = min(fp32[1:]) / min(bf16[1:])
    return 'bf16' if speedup >= min_speedup else 'fp32'

def nhwc_strides(shape):
    N, C, H, W = shape
    return (H * W * C, 1, W * C, C)

# typical wrong answers
def _inverted(fp32, bf16, min_speedup=1.1):
    return 'bf16' if min(bf16[1:]) / min(fp32[1:]) >= min_speedup else 'fp32'

def _with_warmup(fp32, bf16, min_speedup=1.1):
    return 'bf16' if min(fp32) / min(bf16) >= min_speedup else 'fp32'

def _mean(fp32, bf16, min_speedup=1.1):
    mean = lambda v: sum(v[1:]) / len(v[1:])
    return 'bf16' if mean(fp32) / mean(bf16) >= min_speedup else 'fp32'

def _any_gain(fp32, bf16, min_speedup=1.1):
    return 'bf16' if min(fp32[1:]) > min(bf16[1:]) else 'fp32'

def _fixed(fp32, bf16, min_speedup=1.1):
    return 'bf16' if min(fp32[1:]) / min(bf16[1:]) >= 1.1 else 'fp32'

def _strict(fp32, bf16, min_speedup=1.1):
    return 'bf16' if min(fp32[1:]) / min(bf16[1:]) > min_speedup else 'fp32'

def _nchw(shape):
    N, C, H, W = shape
    return (C * H * W, H * W, W, 1)

def _reversed(shape):
    N, C, H, W = shape
    return (1, N, N * C, N * C * H)

RIGHT = {'02b.pick_precision': pick_precision, '02b.nhwc_strides': nhwc_strides}
WRONG = {
    '02b.pick_precision': [(_inverted, "is your ratio fp32 time ÷ bf16 time"),
                           (_with_warmup, "only warms up the kernels"),
                           (_mean, "the fastest repeat measures the machine"),
                           (_any_gain, "a near tie goes to fp32"),
                           (_fixed, "use the argument, not a fixed threshold"),
                           (_strict, "'at least min_speedup' includes it")],
    '02b.nhwc_strides': [(_nchw, "the strides of the usual (contiguous NCHW) layout"),
                         (_reversed, "in channels_last memory runs through C fastest")],
}

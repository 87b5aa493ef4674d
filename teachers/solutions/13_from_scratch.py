"Reference answers to the checked exercises of 13_from_scratch (for teachers; not shown to students)."
import torch

def log_softmax(z):
    "Per row: z − max − log Σ exp(z − max)."
    z = z - z.max(dim=1, keepdim=True).values
    return z - z.exp().sum(dim=1, keepdim=True).log()

def smooth_ce(logits, target, eps):
    "Cross-entropy against q = (1 − ε)·onehot + ε/C, mean over the batch."
    logp = log_softmax(logits)
    q = torch.full_like(logp, eps / logp.shape[1])
    q[torch.arange(len(target)), target] += 1 - eps
    return -(q * logp).sum(1).mean()

def sgd_step(w, g, buf, lr, momentum):
    "One step of SGD with momentum as torch.optim.SGD takes it (dampening 0): b ← μb + g (b = g at first), w ← w − lr·b."
    buf = g.clone() if buf is None else momentum * buf + g
    return w - lr * buf, buf

def _naive(z): return (z.exp() / z.exp().sum(1, keepdim=True)).log()

def _batch_max(z):
    z = z - z.max()
    return z - z.exp().sum(dim=1, keepdim=True).log()

def _other_classes(logits, target, eps):
    logp = log_softmax(logits)
    q = torch.full_like(logp, eps / (logp.shape[1] - 1))
    q[torch.arange(len(target)), target] = 1 - eps
    return -(q * logp).sum(1).mean()

def _ema(w, g, buf, lr, momentum):
    buf = g.clone() if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * buf, buf

RIGHT = {'13.log_softmax': log_softmax, '13.smooth_ce': smooth_ce, '13.sgd_step': sgd_step}
WRONG = {'13.log_softmax': [(_naive, 'subtract the largest logit'), (_batch_max, 'take the maximum of each row'),
                            (lambda z: log_softmax(z.T).T, 'normalises each column')],
         '13.smooth_ce': [(_other_classes, 'C − 1 other classes'), (lambda z, y, e: smooth_ce(z, y, 0.), 'the target is 1 − ε'),
                          (lambda z, y, e: smooth_ce(z, y, e) * 2, 'plain cross-entropy')],
         '13.sgd_step': [(_ema, 'no factor 1 − μ'), (lambda w, g, b, lr, mu: (w - lr * g, g), 'ignore the momentum'),
                         (lambda w, g, b, lr, mu: w - lr * g, 'return two things')]}

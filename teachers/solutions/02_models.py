"Reference answers to the checked exercises of 02_models (teachers only; not part of the package)."
import torch

def coarse_logprobs(fine_logits, fine2coarse, n_coarse):
    logp = fine_logits.log_softmax(-1)
    mask = torch.full((n_coarse, logp.shape[-1]), float('-inf')).scatter_(0, fine2coarse[None], 0.)
    return torch.logsumexp(logp[:, None, :] + mask[None], -1)

def head_params(nf, hier):
    return sum((nf + 1) * n for n in hier.sizes.values())

# typical wrong answers
def _lp_sum_logits(z, f2c, n): return torch.stack([z[:, f2c == c].sum(-1) for c in range(n)], -1)
def _lp_probs(z, f2c, n): return torch.stack([z.softmax(-1)[:, f2c == c].sum(-1) for c in range(n)], -1)
def _lp_naive(z, f2c, n): return torch.stack([z.softmax(-1)[:, f2c == c].sum(-1) for c in range(n)], -1).log()
def _lp_max(z, f2c, n): return torch.stack([z.log_softmax(-1)[:, f2c == c].max(-1).values for c in range(n)], -1)
def _hp_no_bias(nf, hier): return sum(nf * n for n in hier.sizes.values())
def _hp_fine(nf, hier): return (nf + 1) * hier.n_fine

RIGHT = {'02.coarse_logprobs': coarse_logprobs, '02.head_params': head_params}
WRONG = {
    '02.coarse_logprobs': [(_lp_sum_logits, "you summed the logits"), (_lp_probs, "those are probabilities; return "
                                                                                  "their log"),
                           (_lp_naive, "underflows to 0"), (_lp_max, "sums to")],
    '02.head_params': [(_hp_no_bias, "short by exactly the number of outputs"), (_hp_fine, "the fine head only")],
}

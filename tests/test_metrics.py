import math
import pytest
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.metrics import *

toy = Hierarchy(['f0', 'f1', 'f2', 'f3'], ['c0', 'c1', 'c2'], [0, 0, 1, 2], {'g0': ['c0', 'c1'], 'g1': ['c2']})
OUT = {'fine': torch.log(torch.tensor([[0.3, 0.3, 1e-9, 0.4], [0.1, 0.8, 0.05, 0.05], [0.6, 0.1, 0.2, 0.1], [0.1, 0.1, 0.1, 0.7]])),
       'coarse': torch.tensor([[5., 0, 0], [5., 0, 0], [5., 0, 0], [0., 0, 5]]),
       'group': torch.tensor([[5., 0], [5., 0], [0., 5], [0., 5]])}
Y = toy.labels(torch.tensor([1, 1, 2, 3]))

def test_evaluate_by_hand():
    m = evaluate(Preds(OUT, Y, toy))
    assert m['acc_fine'] == 0.5 and m['acc_coarse'] == 0.75 and m['acc_group'] == 0.75
    assert m['acc_coarse_from_fine'] == 0.5 and m['acc_group_from_fine'] == 0.75
    assert [m[f'mistakes_lca{i}'] for i in (1, 2, 3)] == [0, 0.25, 0.25]
    assert m['avg_severity'] == 1.25 and m['avg_mistake_severity'] == 2.5
    assert m['consistency_coarse'] == 0.75 and m['consistency_group'] == 0.5
    assert m['top4_fine'] == 1.0
    # top-2 distance of sample 4 (label f3): its top two are f3 (LCA 0) and one of f0..f2 (LCA 3)
    assert topk_distance(OUT['fine'][3:], Y['fine'][3:], toy, k=2) == pytest.approx((0 + 3) / 2)
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=r'k \(for the top-k metrics\) must be a whole number ≥ 1'): evaluate(Preds(OUT, Y, toy), k=k)

def test_hierarchical_f_two_readings():
    m = evaluate(Preds(OUT, Y, toy))
    # nodes right (of 3) per sample: fine answer + the heads' answers 2, 3, 0, 3; the fine answer's path 0, 3, 1, 3
    assert m['hF_heads'] == pytest.approx(8 / 12) and m['hF_path'] == pytest.approx(7 / 12)
    assert m['hF_path'] == pytest.approx((m['acc_fine'] + m['acc_coarse_from_fine'] + m['acc_group_from_fine']) / 3)
    assert 'hF' not in m and 'hP' not in m                      # no unnamed reading
    f = OUT['fine'].argmax(-1)
    for preds in (level_preds(Preds(OUT, Y, toy), 'parent'), {**level_preds(Preds(OUT, Y, toy)), 'fine': f}):
        prf = hierarchical_prf(preds, Y)                        # three nodes on every path: hP = hR = hF
        assert prf['hP'] == prf['hR'] == pytest.approx(prf['hF'])
    # the published formula on sets of nodes (Kiritchenko et al. 2006), one sample: predicted f0 for label f2
    pred_set, true_set = {'f0', 'c0', 'g0'}, {'f2', 'c1', 'g0'}
    hp = len(pred_set & true_set) / len(pred_set)
    one = hierarchical_prf(toy.labels(torch.tensor([0])), toy.labels(torch.tensor([2])))
    assert one == pytest.approx(dict(hP=hp, hR=hp, hF=hp)) and hp == pytest.approx(1 / 3)

def test_topk_metrics_as_the_authors_code():
    # argmax, k = 2: top two (f3, f0), (f1, f0), (f0, f2), (f3, f0) for labels f1, f1, f2, f3 -> LCA (3, 1), (0, 1), (2, 0), (0, 3)
    D = topk_lca(OUT['fine'], Y['fine'], toy, 2)
    assert D.tolist() == [[3, 1], [0, 1], [2, 0], [0, 3]]
    m = evaluate(Preds(OUT, Y, toy), k=2)
    assert m['top2_fine'] == 0.75
    assert m['top2_distance'] == pytest.approx(10 / 8)                 # mean of all 8 entries
    assert m['top2_best_distance'] == pytest.approx((1 + 0 + 0 + 0) / 4)  # mean of each row's minimum
    assert m['top2_mistake_severity'] == pytest.approx((3 + 1 + 2 + 0) / 4)  # rows whose first entry is a mistake
    assert evaluate(Preds(OUT, Y, toy), k=1)['top1_mistake_severity'] == m['avg_mistake_severity'] == 2.5
    # the authors' loops (run_xent.py), written out for k = 1..4
    for k in range(1, 5):
        D = topk_lca(OUT['fine'], Y['fine'], toy, k).tolist()
        mistakes = [row for row in D if row[0] != 0]
        assert topk_distance(OUT['fine'], Y['fine'], toy, k) == pytest.approx(sum(map(sum, D)) / (4 * k))
        assert topk_best_distance(OUT['fine'], Y['fine'], toy, k) == pytest.approx(sum(map(min, D)) / 4)
        assert topk_mistake_severity(OUT['fine'], Y['fine'], toy, k) == pytest.approx(sum(map(sum, mistakes)) / (len(mistakes) * k))
    # no mistake: 0, like avg_mistake_severity
    assert topk_mistake_severity(OUT['fine'], OUT['fine'].argmax(-1), toy, 2) == 0.
    assert top_classes(torch.tensor([[1., 2., 2., 0.]]), 3).tolist() == [[1, 2, 0]]   # ties: lower index first

def test_crm_by_hand():
    S = toy.severity(1, 2, 3)
    R = OUT['fine'].softmax(-1) @ S
    assert torch.allclose(R[0], torch.tensor([1.5, 1.5, 2.4, 1.8]), atol=1e-6)
    assert torch.allclose(R[2], torch.tensor([0.8, 1.3, 1.7, 2.7]), atol=1e-6)
    assert crm_predict(OUT['fine'], S).tolist() == [0, 1, 0, 3]
    m = evaluate(Preds(OUT, Y, toy), rule='crm')
    assert [m[f'mistakes_lca{i}'] for i in (1, 2, 3)] == [0.25, 0.25, 0]
    assert m['avg_severity'] == pytest.approx(0.75) and m['avg_mistake_severity'] == 1.5
    assert torch.equal(crm_predict(OUT['fine'], S), conditional_risk(OUT['fine'], S).argmin(-1))
    # a huge cross-group cost keeps these answers (f3 only gets dearer)
    assert crm_predict(OUT['fine'], toy.severity(1, 2, 100)).tolist() == [0, 1, 0, 3]
    # severity weights as three numbers or a matrix give the same result
    assert evaluate(Preds(OUT, Y, toy), S=(1, 2, 3)) == evaluate(Preds(OUT, Y, toy), S=S)
    with pytest.raises(ValueError, match=r'shape \(4, 4\)'): evaluate(Preds(OUT, Y, toy), S=torch.zeros(3, 3))
    with pytest.raises(ValueError, match="rule"): evaluate(Preds(OUT, Y, toy), rule='vote')

def test_crm_ranks_by_risk():
    S = toy.severity(1, 2, 3)
    # risks order the classes (f0, f1, f3, f2), (f1, f0, f2, f3), (f0, f1, f2, f3), (f3, f0, f1, f2)
    assert top_classes(-conditional_risk(OUT['fine'], S), 4).tolist() == [[0, 1, 3, 2], [1, 0, 2, 3], [0, 1, 2, 3], [3, 0, 1, 2]]
    m = evaluate(Preds(OUT, Y, toy), k=2, rule='crm')
    assert m['top2_fine'] == 0.75                                      # sample 3: f0, f1 miss f2
    assert m['top2_distance'] == pytest.approx(9 / 8)                  # LCA (1, 0), (0, 1), (2, 2), (0, 3)
    assert m['top2_best_distance'] == pytest.approx(2 / 4)
    assert m['top2_mistake_severity'] == pytest.approx((1 + 0 + 2 + 2) / 4)
    assert evaluate(Preds(OUT, Y, toy), k=2)['top2_distance'] == pytest.approx(10 / 8)   # by the logits: argmax's
    # compare_rules shows each rule's own ranking
    df = compare_rules(Preds(OUT, Y, toy))
    assert df.loc['top4_fine', 'crm'] == 1.0 and df.loc['top4_distance', 'crm'] == df.loc['top4_distance', 'argmax']  # k = n: all classes
    df = compare_rules(Preds(OUT, Y, toy), k=2)
    assert df.loc['top2_distance', 'crm'] == pytest.approx(9 / 8) and df.loc['top2_distance', 'argmax'] == pytest.approx(10 / 8)

def test_per_class_topk_confusion():
    pred, tgt = torch.tensor([0, 1, 1, 3]), torch.tensor([0, 1, 2, 2])
    pc = per_class_accuracy(pred, tgt, 4)
    assert pc[:3].tolist() == [1., 1., 0.] and math.isnan(pc[3])
    cm = confusion(pred, tgt, 4, normalize=False)
    assert cm[2].tolist() == [0, 1, 0, 1] and cm.sum() == 4
    assert confusion(pred, tgt, 4)[2].tolist() == [0, 0.5, 0, 0.5]
    assert topk_accuracy(torch.tensor([[0.1, 0.5, 0.4], [0.9, 0.04, 0.06]]), torch.tensor([2, 1]), k=2) == 0.5

def test_fine_only_preds_are_marginalised():
    p = Preds({'fine': OUT['fine']}, Y, toy)
    assert p.out['coarse'].exp()[0].tolist() == pytest.approx([0.6, 0, 0.4], abs=1e-6)
    assert level_preds(p)['coarse'].tolist() == [0, 0, 0, 2]

def test_save_load_round_trip(tmp_path):
    p = Preds(OUT, Y, toy)
    p.save(tmp_path/'p.pt')
    q = Preds.load(tmp_path/'p.pt', toy)
    assert evaluate(q) == evaluate(p)

def test_worst_mistakes_order():
    idx = worst_mistakes(Preds(OUT, Y, toy), n=5)
    assert idx.tolist() == [0, 2]           # the cross-group mistake first, then the within-group one

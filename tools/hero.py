"""Write the index page's hero image, nbs/images/hierarchy.png: the CIFAR-100 tree drawn for the docs' column
(`plot_hierarchy(h, fine='list')`: 7.5 in wide, one row per superclass, 8.5-9 pt text).

    python tools/hero.py [--out PATH] [--dpi 200]
"""
import argparse, pathlib
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from hiercifar.hierarchy import Hierarchy, plot_hierarchy

REPO = pathlib.Path(__file__).resolve().parents[1]

def write_hero(out=REPO/'nbs'/'images'/'hierarchy.png', dpi:int=200) -> pathlib.Path:
    "Draw the hierarchy (one row per superclass) and save it with a tight bounding box; returns the path."
    ax = plot_hierarchy(Hierarchy.cifar100(), fine='list')
    out = pathlib.Path(out)
    ax.figure.savefig(out, dpi=dpi, bbox_inches='tight', pad_inches=0.05, facecolor='white')
    plt.close(ax.figure)
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=str(REPO/'nbs'/'images'/'hierarchy.png'))
    p.add_argument('--dpi', type=int, default=200)
    a = p.parse_args()
    print(write_hero(a.out, a.dpi))

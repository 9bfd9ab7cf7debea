"""``python -m c2kd_analyze``: the CLI, also as torchrun's module entry point.

torchrun --nproc_per_node 2 -m c2kd_analyze run --teachers muse,me5-small
"""

from .cli import main

if __name__ == "__main__":
    main()

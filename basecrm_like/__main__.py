"""``python -m basecrm_like ...`` is ``basecrm-like ...``."""
from basecrm_like.cli import main

if __name__ == "__main__":
    main()

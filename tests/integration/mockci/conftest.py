from tests.support.contract import contract

__all__ = ["contract"]

"""Small helpers for programs that call gongji (an HIS, a POS, the examples, the tests)."""

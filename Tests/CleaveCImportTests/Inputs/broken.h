// A header with a syntax error on line 3.
int fine(int a);
int broken(int a int b);

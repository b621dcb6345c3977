// Found only through an extra include directory.
int from_extra(int a);

// Declares `configured` only when the importer passes -DCLEAVE_CONFIGURED.
#ifdef CLEAVE_CONFIGURED
int configured(int a);
#endif

#ifndef CALLBACK_H
#define CALLBACK_H

/* Go → C → Go → C: main.goOuter → c_outer → GoMiddle (//export) → main.goInner → c_inner (BP). */
int c_outer(int n);
int c_inner(int n);

#endif

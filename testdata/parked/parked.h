#pragma once
int c_stop(int n);

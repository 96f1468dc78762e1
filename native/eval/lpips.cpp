#include "lpips.h"

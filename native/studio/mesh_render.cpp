#include "mesh_render.h"

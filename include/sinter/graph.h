// The graph IR and its executor: build or import a Graph, verify it, infer shapes, and run it
// with a planned Session (see graph/ir.h and graph/session.h).
#pragma once
#include "sinter/graph/ir.h"
#include "sinter/graph/session.h"

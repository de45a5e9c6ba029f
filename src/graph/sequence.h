// Sequence and optional nodes: non-registry nodes (op == nullptr, `kind` naming them) that
// make and read sequences of tensors and optionals. The Session runs them node by node.
//
// Node conventions (inputs; attributes; outputs):
//   SequenceConstruct   [tensors (>= 1)...]                     -> sequence
//   SequenceEmpty       []                                      -> sequence (empty)
//   SequenceAt          [seq, position]                         -> tensor
//   SequenceInsert      [seq, tensor, position or None]         -> sequence (default: at the end)
//   SequenceErase       [seq, position or None]                 -> sequence (default: the last)
//   SequenceLength      [seq]                                   -> i64 scalar
//   SplitToSequence     [x, split or None]; {axis, keepdims}    -> sequence
//   ConcatFromSequence  [seq]; {axis, new_axis}                 -> tensor
//   SequenceMap         [formal inputs (F)..., captures...]; {F}; body -> one sequence per
//                       body output. Sequence formal inputs are iterated (all of one length),
//                       tensor ones passed to every iteration; captures are passed whole.
//   Optional            [element or None]                       -> optional
//   OptionalHasElement  [optional or None]                      -> bool scalar
//   OptionalGetElement  [optional]                              -> its element
//   Identity            [any value]                             -> the same value
// Positions are integer scalars, negative counting from the end. Misuse (a position out of
// range, the element of an empty optional, dtypes that differ) throws a typed error naming
// the node.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "sinter/graph/ir.h"
#include "sinter/graph/session.h"

namespace sinter::graph {

/// Whether `kind` names a sequence/optional node.
bool is_sequence_kind(std::string_view kind);
/// Checks a sequence node's input count and value types (ValueError naming the node).
void verify_sequence_node(const Node& n);
/// Runs one sequence node. `bodies` are the node's loaded subgraphs (SequenceMap's body).
std::vector<RunValue> run_sequence_node(const Node& n, const std::vector<RunValue>& in,
                                        const std::vector<std::unique_ptr<Session>>& bodies);

}  // namespace sinter::graph

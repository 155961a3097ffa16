#include "formats/dot.h"

#include <graphviz/cgraph.h>
#include <stdio.h>
#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "formats/node_labels.h"

namespace provtrace::formats {
namespace {

std::string Key(uint64_t id, uint32_t version) {
  return std::to_string(id) + "." + std::to_string(version);
}

// A label value in Graphviz's escString form, from lines already escaped
// for display (no control characters, valid UTF-8). cgraph's writer quotes
// the value and turns '"' into \" but leaves backslashes alone, and the
// layout then reads \n, \l, \N, \G, ... as escapes: so every backslash
// of the text is doubled and lines are joined with \n. A value must not end
// in a backslash, which the DOT lexer would read with the closing quote as
// an escaped quote: a trailing \n ends such a last line (Graphviz adds no
// empty line for it).
std::string DotLabel(std::initializer_list<std::string_view> lines) {
  std::string value;
  bool first = true;
  for (std::string_view line : lines) {
    if (!first) value += "\\n";
    first = false;
    for (char c : line) {
      if (c == '\\') value.push_back('\\');
      value.push_back(c);
    }
  }
  if (!value.empty() && value.back() == '\\') value += "\\n";
  return value;
}

std::string NodeText(NodeType type, const std::string& label, uint32_t version) {
  return DotLabel({NodeTypeName(type), label, "v" + std::to_string(version)});
}

class DotWriter : public RecordSink {
 public:
  explicit DotWriter(ByteSink* out) : out_(out) {
    Agdesc_t directed = Agdirected;
    graph_ = agopen(const_cast<char*>("provenance"), directed, nullptr);
    agattr(graph_, AGRAPH, const_cast<char*>("rankdir"), const_cast<char*>("BT"));
    agattr(graph_, AGNODE, const_cast<char*>("shape"), const_cast<char*>("ellipse"));
    agattr(graph_, AGNODE, const_cast<char*>("label"), const_cast<char*>(""));
    agattr(graph_, AGNODE, const_cast<char*>("style"), const_cast<char*>(""));
    agattr(graph_, AGEDGE, const_cast<char*>("label"), const_cast<char*>(""));
    agattr(graph_, AGEDGE, const_cast<char*>("style"), const_cast<char*>(""));
  }
  ~DotWriter() override { agclose(graph_); }

  Status Begin(const CaptureInfo& info) override {
    first_ = info;
    return Status::Ok();
  }

  // Nodes of another capture (another machine or boot) than the first are
  // keyed with its identity, so that equal ids stay distinct nodes.
  Status OnCaptureInfo(const CaptureInfo& info) override {
    prefix_.clear();
    if (info.machine_id != first_.machine_id || info.boot_id != first_.boot_id) {
      prefix_ = std::to_string(info.machine_id) + "." + std::to_string(info.boot_id) + ".";
    }
    return Status::Ok();
  }

  Status OnNode(const Node& node) override {
    labels_.OnNode(node);
    Agnode_t* n = NodeFor(node.id, node.version);
    const char* shape = "ellipse";
    if (node.type == NodeType::kTask) shape = "box";
    if (node.type == NodeType::kMachine) shape = "house";
    if (node.type == NodeType::kPath || node.type == NodeType::kArgv ||
        node.type == NodeType::kEnvp)
      shape = "note";
    Set(n, "shape", shape);
    // An inode named earlier keeps its name in later versions.
    std::string label =
        IsInodeType(node.type) ? labels_.Label(node.id, node.type) : NodeLabel(node);
    Set(n, "label",
        node.type == NodeType::kPath ? DotLabel({label})
                                     : NodeText(node.type, label, node.version));
    return Status::Ok();
  }

  Status OnRelation(const Relation& rel) override {
    labels_.OnRelation(rel);
    Agnode_t* from = NodeFor(rel.from.id, rel.from.version);
    Agnode_t* to = NodeFor(rel.to.id, rel.to.version);
    // Endpoints whose node records a filter left out get their labels here.
    for (auto [node, ref] : {std::pair(from, rel.from), std::pair(to, rel.to)}) {
      char* label = agget(node, const_cast<char*>("label"));
      if (label == nullptr || label[0] == '\0') {
        Set(node, "label", NodeText(ref.type, labels_.Label(ref), ref.version));
      }
    }
    std::string name = std::to_string(rel.id);
    Agedge_t* e = agedge(graph_, from, to, &name[0], 1);
    Set(e, "label", std::string(RelationTypeName(rel.type)));
    if (rel.from.id == rel.to.id) Set(e, "style", "dashed");  // a version chain
    if (rel.type == RelationType::kNamed && IsInodeType(rel.to.type)) {
      // Show an inode by its name once it has one.
      Set(to, "label", NodeText(rel.to.type, labels_.Label(rel.to), rel.to.version));
    }
    return Status::Ok();
  }

  void OnFilteredNode(const Node& node) override { labels_.OnNode(node); }
  void OnFilteredRelation(const Relation& rel) override { labels_.OnRelation(rel); }

  Status OnLost(const Lost&) override {
    ++lost_;
    return Status::Ok();
  }

  Status Flush() override { return Status::Ok(); }  // written whole at the end

  Status End(const Stats&) override {
    if (lost_ > 0) {
      agattr(graph_, AGRAPH, const_cast<char*>("label"),
             const_cast<char*>(
                 ("incomplete: records were lost " + std::to_string(lost_) + " times").c_str()));
    }
    char* text = nullptr;
    size_t size = 0;
    FILE* memory = open_memstream(&text, &size);
    if (memory == nullptr) return InternalError("open_memstream failed");
    int rc = agwrite(graph_, memory);
    fclose(memory);
    Status s = rc == 0 ? out_->Write(std::string_view(text, size))
                       : InternalError("graphviz could not write the graph");
    free(text);
    if (!s.ok()) return s;
    return out_->Flush();
  }

 private:
  Agnode_t* NodeFor(uint64_t id, uint32_t version) {
    std::string key = prefix_ + Key(id, version);
    return agnode(graph_, &key[0], 1);
  }

  template <typename Obj>
  void Set(Obj* obj, const char* name, const std::string& value) {
    agsafeset(obj, const_cast<char*>(name), const_cast<char*>(value.c_str()),
              const_cast<char*>(""));
  }

  ByteSink* out_;
  Agraph_t* graph_;
  NodeLabels labels_;
  uint64_t lost_ = 0;
  CaptureInfo first_;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<RecordSink> NewDotWriter(ByteSink* out) { return std::make_unique<DotWriter>(out); }

}  // namespace provtrace::formats

#include "eval/waymo_eval.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "eval/waymo_ap.hpp"
#include "eval/waymo_hungarian.hpp"
#include "eval/waymo_iou.hpp"

namespace lidardet::eval {

namespace {

// IoU thresholds indexed by Label.Type (eval.md §B2), as float32: 0.7f is the inclusive bound.
constexpr float kIouThreshold[5] = {0.0f, 0.7f, 0.5f, 0.5f, 0.5f};
constexpr const char* kTypeShard[5] = {"", "TYPE_VEHICLE", "TYPE_PEDESTRIAN", "TYPE_SIGN",
                                       "TYPE_CYCLIST"};
constexpr const char* kRangeShard[3] = {"[0, 30)", "[30, 50)", "[50, +inf)"};

// An object as the metrics see it after preparation (eval.md §B1.2, §B3.1).
struct Obj {
  const Box3D* box;
  int type;        // 1..4; objects of other types are in no shard and are not kept
  int range_bin;   // 0: d < 30, 1: d < 50, 2: otherwise (3D centre distance)
  int difficulty;  // GT only
  float score;     // predictions only
};

struct Shard {
  std::string generator, name;
  int type;
  int range_bin;  // -1: any range
};

// One frame's measurement for one (shard, cutoff); fn per level.
struct Cell {
  std::int32_t tp = 0, fp = 0, fn1 = 0, fn2 = 0;
  float sum_ha = 0;
};

struct Frame {
  std::vector<Obj> gt, pred;
};

int range_bin(const Box3D& b) {
  const double d = std::sqrt(b.x * b.x + b.y * b.y + b.z * b.z);
  return d < 30 ? 0 : d < 50 ? 1 : 2;
}

struct Edge {
  int row, col;  // subset-local prediction and GT indices
  std::int64_t weight;
  float ha;
};

// Union-find for splitting the candidate-match graph into independent components.
int find_root(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// Evaluates one shard of one frame at all cutoffs. `preds`/`gts` are the shard's objects in input
// order; `edges` their CanMatch pairs. The frame's assignment problem falls apart into connected
// components of the CanMatch graph (other pairs have weight 0 and are dropped after matching);
// each component is solved by the alternating-tree Hungarian on its own rows and columns.
void evaluate_shard(const std::vector<const Obj*>& preds, const std::vector<const Obj*>& gts,
                    const std::vector<Edge>& edges, const std::array<float, kWaymoNumCutoffs>& cut,
                    bool whole_matrix, Cell* out) {
  const int np = static_cast<int>(preds.size()), ng = static_cast<int>(gts.size());
  int gt_l1 = 0;
  for (const Obj* g : gts) gt_l1 += g->difficulty <= 1;
  int gt_l2 = 0;
  for (const Obj* g : gts) gt_l2 += g->difficulty <= 2;
  std::vector<float> scores(np);
  for (int i = 0; i < np; ++i) scores[i] = preds[i]->score;
  std::vector<float> sorted = scores;
  std::sort(sorted.begin(), sorted.end());

  // Components over rows [0, np) and columns [np, np + ng).
  std::vector<int> parent(np + ng);
  std::iota(parent.begin(), parent.end(), 0);
  for (const Edge& e : edges) parent[find_root(parent, e.row)] = find_root(parent, np + e.col);
  std::map<int, std::vector<int>> comp_rows, comp_cols;  // ascending members per component
  std::vector<char> row_has_edge(np), col_has_edge(ng);
  for (const Edge& e : edges) row_has_edge[e.row] = col_has_edge[e.col] = 1;
  for (int i = 0; i < np; ++i)
    if (row_has_edge[i]) comp_rows[find_root(parent, i)].push_back(i);
  for (int j = 0; j < ng; ++j)
    if (col_has_edge[j]) comp_cols[find_root(parent, np + j)].push_back(j);
  std::map<int, std::vector<const Edge*>> comp_edges;
  for (const Edge& e : edges) comp_edges[find_root(parent, e.row)].push_back(&e);

  struct Comp {
    std::vector<int> rows, cols;
    std::vector<const Edge*> edges;
    int active = -1;  // number of active rows at the last solve
  };
  std::vector<Comp> comps;
  for (auto& [root, rows] : comp_rows)
    comps.push_back({rows, comp_cols[root], comp_edges[root], -1});

  std::vector<int> match_col(np, -1);  // current matching, subset-local
  std::vector<float> match_ha(np, 0.0f);
  std::vector<char> gt_matched(ng, 0);
  std::vector<int> edge_rows;
  for (int i = 0; i < np; ++i)
    if (row_has_edge[i]) edge_rows.push_back(i);

  std::vector<std::int64_t> w;
  std::vector<int> act;
  for (int k = 0; k < kWaymoNumCutoffs; ++k) {
    const float c = cut[k];
    if (whole_matrix) {
      // The official n x n problem over the whole subset (reference mode for the tests).
      std::fill(match_col.begin(), match_col.end(), -1);
      std::fill(gt_matched.begin(), gt_matched.end(), 0);
      act.clear();
      for (int r = 0; r < np; ++r)
        if (scores[r] >= c) act.push_back(r);
      const int nr = static_cast<int>(act.size()), n = std::max(nr, ng);
      if (nr > 0 && ng > 0) {
        std::vector<int> row_of(np, -1);
        for (int i = 0; i < nr; ++i) row_of[act[i]] = i;
        w.assign(static_cast<std::size_t>(n) * n, 0);
        std::vector<const Edge*> at(static_cast<std::size_t>(n) * n, nullptr);
        for (const Edge& e : edges)
          if (row_of[e.row] >= 0) {
            w[static_cast<std::size_t>(row_of[e.row]) * n + e.col] = e.weight;
            at[static_cast<std::size_t>(row_of[e.row]) * n + e.col] = &e;
          }
        const auto assign = waymo_hungarian(w, n);
        for (int i = 0; i < nr; ++i) {
          const int j = assign[i];
          const Edge* e = j < ng ? at[static_cast<std::size_t>(i) * n + j] : nullptr;
          if (!e) continue;
          match_col[e->row] = e->col;
          match_ha[e->row] = e->ha;
          gt_matched[e->col] = 1;
        }
      }
    }
    for (Comp& comp : comps) {
      if (whole_matrix) break;
      act.clear();
      for (int r : comp.rows)
        if (scores[r] >= c) act.push_back(r);
      if (static_cast<int>(act.size()) == comp.active) continue;  // same subset as before
      comp.active = static_cast<int>(act.size());
      for (int r : comp.rows) match_col[r] = -1;
      for (int g : comp.cols) gt_matched[g] = 0;
      // Trivial when no active row and no column has two active candidates.
      std::vector<int> deg_r(comp.rows.size()), deg_c(comp.cols.size());
      bool trivial = true;
      auto pos = [](const std::vector<int>& v, int x) {
        return static_cast<int>(std::lower_bound(v.begin(), v.end(), x) - v.begin());
      };
      for (const Edge* e : comp.edges) {
        if (scores[e->row] < c) continue;
        if (++deg_r[pos(comp.rows, e->row)] > 1 || ++deg_c[pos(comp.cols, e->col)] > 1)
          trivial = false;
      }
      if (trivial) {
        for (const Edge* e : comp.edges)
          if (scores[e->row] >= c) {
            match_col[e->row] = e->col;
            match_ha[e->row] = e->ha;
            gt_matched[e->col] = 1;
          }
        continue;
      }
      const int nr = static_cast<int>(act.size()), nc = static_cast<int>(comp.cols.size());
      const int n = std::max(nr, nc);
      w.assign(static_cast<std::size_t>(n) * n, 0);
      std::vector<const Edge*> at(static_cast<std::size_t>(n) * n, nullptr);
      for (const Edge* e : comp.edges) {
        if (scores[e->row] < c) continue;
        const int i = pos(act, e->row), j = pos(comp.cols, e->col);
        w[static_cast<std::size_t>(i) * n + j] = e->weight;
        at[static_cast<std::size_t>(i) * n + j] = e;
      }
      const auto assign = waymo_hungarian(w, n);
      for (int i = 0; i < nr; ++i) {
        const int j = assign[i];
        if (j >= nc) continue;  // padding column
        const Edge* e = at[static_cast<std::size_t>(i) * n + j];
        if (!e) continue;  // a forced zero-weight pair is no match
        match_col[e->row] = e->col;
        match_ha[e->row] = e->ha;
        gt_matched[e->col] = 1;
      }
    }
    Cell& cell = out[k];
    // sum_ha in prediction-subset order, in float (eval.md §B3.4).
    for (int r : edge_rows)
      if (match_col[r] >= 0) {
        ++cell.tp;
        cell.sum_ha += match_ha[r];
      }
    const int active =
        np - static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), c) - sorted.begin());
    cell.fp = active - cell.tp;
    int m1 = 0, m2 = 0;
    for (int j = 0; j < ng; ++j)
      if (gt_matched[j]) {
        m1 += gts[j]->difficulty <= 1;
        m2 += gts[j]->difficulty <= 2;
      }
    cell.fn1 = gt_l1 - m1;
    cell.fn2 = gt_l2 - m2;
  }
}

void evaluate_frame(const Frame& f, const std::vector<Shard>& shards,
                    const std::array<float, kWaymoNumCutoffs>& cut, bool whole_matrix, Cell* out) {
  for (int type = 1; type <= 4; ++type) {
    std::vector<const Obj*> P, G;
    for (const Obj& o : f.pred)
      if (o.type == type) P.push_back(&o);
    for (const Obj& o : f.gt)
      if (o.type == type) G.push_back(&o);
    if (P.empty() && G.empty()) continue;
    // CanMatch pairs of this type, with their quantised weight and heading accuracy.
    std::vector<Edge> all;
    for (int i = 0; i < static_cast<int>(P.size()); ++i)
      for (int j = 0; j < static_cast<int>(G.size()); ++j) {
        const float iou = static_cast<float>(waymo_iou_3d(*P[i]->box, *G[j]->box));
        if (!(iou >= kIouThreshold[type])) continue;
        all.push_back({i, j, static_cast<std::int64_t>(std::round(iou * 1000000.0f)),
                       waymo_heading_accuracy(P[i]->box->yaw, G[j]->box->yaw)});
      }
    for (std::size_t s = 0; s < shards.size(); ++s) {
      if (shards[s].type != type) continue;
      const int bin = shards[s].range_bin;
      std::vector<const Obj*> ps, gs;
      std::vector<int> prow(P.size(), -1), gcol(G.size(), -1);
      for (std::size_t i = 0; i < P.size(); ++i)
        if (bin < 0 || P[i]->range_bin == bin) {
          prow[i] = static_cast<int>(ps.size());
          ps.push_back(P[i]);
        }
      for (std::size_t j = 0; j < G.size(); ++j)
        if (bin < 0 || G[j]->range_bin == bin) {
          gcol[j] = static_cast<int>(gs.size());
          gs.push_back(G[j]);
        }
      if (ps.empty() && gs.empty()) continue;
      std::vector<Edge> edges;
      for (const Edge& e : all)
        if (prow[e.row] >= 0 && gcol[e.col] >= 0)
          edges.push_back({prow[e.row], gcol[e.col], e.weight, e.ha});
      evaluate_shard(ps, gs, edges, cut, whole_matrix, out + s * kWaymoNumCutoffs);
    }
  }
}

std::vector<Shard> make_shards(const std::vector<WaymoBreakdown>& breakdowns) {
  std::vector<Shard> shards;
  for (WaymoBreakdown b : breakdowns)
    for (int type = 1; type <= 4; ++type) {
      if (b == WaymoBreakdown::kObjectType) {
        shards.push_back({"OBJECT_TYPE", kTypeShard[type], type, -1});
      } else {
        for (int bin = 0; bin < 3; ++bin)
          shards.push_back(
              {"RANGE", std::string(kTypeShard[type]) + "_" + kRangeShard[bin], type, bin});
      }
    }
  return shards;
}

bool finite_box(const Box3D& b) {
  for (double v : {b.x, b.y, b.z, b.l, b.w, b.h, b.yaw})
    if (!std::isfinite(v)) return false;
  return true;
}

std::string frame_name(const waymo::WaymoObject& o) {
  return "frame (" + o.context_name + ", " + std::to_string(o.frame_timestamp_micros) + ")";
}

}  // namespace

const WaymoBreakdownResult* WaymoEvalResult::find(const std::string& name) const {
  for (const auto& b : breakdowns)
    if (b.name == name) return &b;
  return nullptr;
}

std::array<float, kWaymoNumCutoffs> waymo_score_cutoffs() {
  std::array<float, kWaymoNumCutoffs> c{};
  for (int i = 0; i < 100; ++i) c[i] = static_cast<float>(i * 0.01);
  c[100] = 1.0f;
  return c;
}

void check_waymo_objects(const std::vector<waymo::WaymoObject>& objects,
                         const std::string& origin) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto& o = objects[i];
    const std::string rec = "object " + std::to_string(i) + " of " + frame_name(o) + ": ";
    if (!finite_box(o.box))
      throw Error(where(origin, 0, "box") + ": " + rec + "box has a non-finite value");
    if (o.box.l < 0 || o.box.w < 0 || o.box.h < 0)
      throw Error(where(origin, 0, "box") + ": " + rec +
                  "negative dimension (expected length, width, height >= 0)");
    if (!std::isfinite(o.score))
      throw Error(where(origin, 0, "score") + ": " + rec + "score is not finite");
  }
}

void check_waymo_frames(const std::vector<waymo::WaymoObject>& gt,
                        const std::vector<waymo::WaymoObject>& pred,
                        const std::string& pred_origin) {
  std::map<std::string, std::vector<std::int64_t>> frames;
  for (const auto& o : gt) frames[o.context_name].push_back(o.frame_timestamp_micros);
  for (auto& [ctx, ts] : frames) std::sort(ts.begin(), ts.end());
  for (std::size_t i = 0; i < pred.size(); ++i) {
    auto it = frames.find(pred[i].context_name);
    if (it == frames.end() ||
        !std::binary_search(it->second.begin(), it->second.end(), pred[i].frame_timestamp_micros))
      throw Error(where(pred_origin) + ": object " + std::to_string(i) + ": " +
                  frame_name(pred[i]) + " has no ground truth (wrong --gt file?)");
  }
}

WaymoEvalResult evaluate_waymo(const std::vector<waymo::WaymoObject>& gt,
                               const std::vector<waymo::WaymoObject>& pred,
                               const WaymoEvalOptions& options) {
  using Key = std::pair<std::string, std::int64_t>;
  std::map<Key, Frame> by_key;  // sorted (context, timestamp): the merge order
  WaymoEvalResult result;
  auto typed = [](const waymo::WaymoObject& o) {
    const int t = static_cast<int>(o.type);
    return t >= 1 && t <= 4 ? t : 0;
  };
  for (const auto& o : gt) {
    Frame& f = by_key[{o.context_name, o.frame_timestamp_micros}];
    // Ground-truth preparation (eval.md §B1.2): no points -> dropped; unset level from points.
    if (o.num_lidar_points_in_box <= 0) continue;
    int level = o.detection_difficulty_level;
    if (level == 0) level = o.num_lidar_points_in_box <= 5 ? 2 : 1;
    ++result.num_gt;
    if (const int t = typed(o)) f.gt.push_back({&o.box, t, range_bin(o.box), level, 1.0f});
  }
  for (const auto& o : pred) {
    Frame& f = by_key[{o.context_name, o.frame_timestamp_micros}];
    ++result.num_pred;
    if (const int t = typed(o)) f.pred.push_back({&o.box, t, range_bin(o.box), 0, o.score});
  }
  std::vector<const Frame*> frames;
  for (const auto& [key, f] : by_key) frames.push_back(&f);
  result.num_frames = frames.size();

  const auto shards = make_shards(options.breakdowns);
  const auto cut = waymo_score_cutoffs();
  const std::size_t cells = shards.size() * kWaymoNumCutoffs;
  struct Total {
    std::int64_t tp = 0, fp = 0, fn1 = 0, fn2 = 0;
    float sum_ha = 0;
  };
  std::vector<Total> total(cells);

  // Frames are evaluated in parallel in batches into per-frame slots, then merged in frame order:
  // sum_ha is a float sum, so its order is part of the result (eval.md §B3.5).
  const int threads = std::max(1, options.threads);
  const std::size_t batch = std::min<std::size_t>(256, frames.size());
  std::vector<Cell> slots(batch * cells);
  for (std::size_t begin = 0; begin < frames.size(); begin += batch) {
    const std::size_t end = std::min(frames.size(), begin + batch);
    std::fill(slots.begin(), slots.end(), Cell{});
    std::atomic<std::size_t> next{begin};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < end;)
        evaluate_frame(*frames[i], shards, cut, options.whole_matrix_matching,
                       slots.data() + (i - begin) * cells);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads && t < static_cast<int>(end - begin); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (std::size_t i = begin; i < end; ++i) {
      const Cell* c = slots.data() + (i - begin) * cells;
      for (std::size_t k = 0; k < cells; ++k) {
        total[k].tp += c[k].tp;
        total[k].fp += c[k].fp;
        total[k].fn1 += c[k].fn1;
        total[k].fn2 += c[k].fn2;
        total[k].sum_ha += c[k].sum_ha;
      }
    }
  }

  float maph_sum = 0;
  for (std::size_t s = 0; s < shards.size(); ++s)
    for (int level = 1; level <= 2; ++level) {
      WaymoBreakdownResult b;
      b.generator = shards[s].generator;
      b.shard = shards[s].name;
      b.level = level;
      b.name = b.generator + "_" + b.shard + "_LEVEL_" + std::to_string(level);
      std::vector<float> P(kWaymoNumCutoffs), PH(kWaymoNumCutoffs), R(kWaymoNumCutoffs);
      for (int k = 0; k < kWaymoNumCutoffs; ++k) {
        const Total& t = total[s * kWaymoNumCutoffs + k];
        const std::int64_t fn = level == 1 ? t.fn1 : t.fn2;
        // eval.md §B5.1, all in float32.
        const std::int64_t tpfp = t.tp + t.fp, tpfn = t.tp + fn;
        float p = tpfp > 0 ? static_cast<float>(t.tp) / static_cast<float>(tpfp) : 0.0f;
        float ph = tpfp > 0 ? t.sum_ha / static_cast<float>(tpfp) : 0.0f;
        const float r = tpfn > 0 ? static_cast<float>(t.tp) / static_cast<float>(tpfn) : 0.0f;
        if (r == 0.0f) p = ph = 1.0f;
        P[k] = b.precision[k] = p;
        PH[k] = b.precision_ha[k] = ph;
        R[k] = b.recall[k] = r;
        b.cutoff[k] = cut[k];
        b.tp[k] = t.tp;
        b.fp[k] = t.fp;
        b.fn[k] = fn;
      }
      b.ap = waymo_mean_average_precision(P, R);
      b.aph = waymo_mean_average_precision(PH, R);
      if (b.generator == "OBJECT_TYPE" && level == 2 && shards[s].type != 3) maph_sum += b.aph;
      result.breakdowns.push_back(std::move(b));
    }
  result.maph_l2 = maph_sum / 3.0f;
  return result;
}

std::string format_waymo_result(const WaymoEvalResult& r) {
  std::ostringstream os;  // default stream formatting, as the official binary's std::cout
  for (const auto& b : r.breakdowns)
    os << b.name << ": [mAP " << b.ap << "] [mAPH " << b.aph << "]\n";
  os << "mAPH L2 (mean of Vehicle, Pedestrian, Cyclist OBJECT_TYPE LEVEL_2 APH, x100): "
     << r.maph_l2 * 100.0f << "\n";
  return os.str();
}

}  // namespace lidardet::eval

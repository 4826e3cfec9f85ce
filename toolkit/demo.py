"""The demo database: ~240 plausible proposals across the (fictional) demo district.

Deterministic: the same seed gives the same rows, receipt codes and times, so screenshots,
docs and tests can rely on it. Every proposal goes through the same checks as a resident's.
Costs follow the real figures in docs/domain.md (e-bike charging shed ¥30–80k, pavilion ~¥66k,
culture wall ¥5–30k, pocket park ¥100–400k, CCTV ¥30–100k, elderly meals ¥50–150k a year).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from toolkit.proposals import Draft

SEED = 2026
COUNT = 240

# category -> [(title, problem, suggestion, (min_yuan, max_yuan))]
IDEAS: dict[str, list[tuple[str, str, str, tuple[int, int]]]] = {
    "facilities": [
        ("小区门口增设电动车充电棚", "电动车只能在楼道里飞线充电，没有集中充电的地方。", "在大门西侧空地建一个带顶棚的集中充电点。", (30000, 80000)),
        ("院坝里修一座休息凉亭", "老人在院坝里聊天没有遮阳避雨的地方。", "在院坝中间修一座木结构凉亭，配几张长椅。", (50000, 80000)),
        ("更换楼道老化照明", "几个单元楼道的灯坏了很久，晚上上下楼很黑。", "统一更换为声控 LED 灯。", (5000, 20000)),
        ("加装无障碍坡道", "单元门口有三级台阶，轮椅和婴儿车进不去。", "在单元门口加装防滑坡道和扶手。", (8000, 30000)),
        ("闲置架空层改造为活动室", "架空层堆满杂物，没人管理。", "清理后改造成居民活动室，排班开放。", (60000, 150000)),
        ("增设智能快递柜", "快递堆在门卫室，经常拿错、丢件。", "在门卫室旁边安装一组快递柜。", (10000, 40000)),
    ],
    "greening": [
        ("荒废花台改成共享菜园", "花台多年无人打理，长满杂草还招蚊子。", "改成共享菜园，由居民认领、轮流照看。", (5000, 20000)),
        ("打造口袋公园", "转角空地堆放建筑垃圾，影响环境。", "清运后建成口袋公园，种树、放座椅。", (100000, 400000)),
        ("垃圾分类点除臭改造", "垃圾分类点夏天异味很重，靠近住户窗口。", "加装顶棚和冲洗设施，定时清运。", (20000, 60000)),
        ("补种行道树", "主干道两边的树死了好几棵，夏天很晒。", "补种香樟并加装树池盖板。", (15000, 50000)),
    ],
    "safety": [
        ("安装高空抛物监控", "最近发生了几次高空抛物，差点砸到人。", "在楼栋外立面安装仰拍监控。", (30000, 100000)),
        ("修复损坏的路灯", "小区后门那段路灯坏了，晚上很不安全。", "修复并增加两盏太阳能路灯。", (5000, 20000)),
        ("消防通道划线并设禁停标识", "消防通道经常被私家车占用。", "重新划线，设禁停牌，物业每天巡查。", (3000, 12000)),
        ("整治电动车飞线充电", "有人从窗户拉线给电动车充电，火灾隐患大。", "配合充电棚建设，开展一次集中整治。", (2000, 8000)),
    ],
    "elderly_children": [
        ("开设老年助餐点", "很多独居老人吃饭不方便，自己做饭也不安全。", "在社区活动中心开设助餐点，提供中午饭。", (50000, 150000)),
        ("增设儿童游乐设施", "小区里的孩子没有地方玩，只能在车道边跑。", "在绿地一角建一处安全的儿童游乐区。", (60000, 200000)),
        ("开办四点半课堂", "双职工家庭孩子放学后没人照看。", "利用活动室开办四点半课堂，招募志愿者。", (20000, 60000)),
        ("楼道加装适老扶手", "老人上下楼梯吃力，容易摔倒。", "在楼梯两侧加装扶手和夜间感应灯。", (10000, 40000)),
    ],
    "culture": [
        ("打造院落文化墙", "围墙斑驳，院落缺少自己的特色。", "请居民一起设计，绘制院落历史文化墙。", (5000, 30000)),
        ("举办邻里节", "新老居民互相不认识，邻里关系淡。", "每年举办一次邻里节，百家宴加才艺展示。", (8000, 30000)),
        ("设立社区图书角", "孩子和老人想看书没有地方。", "在活动室设立图书角，居民捐书、志愿者管理。", (5000, 20000)),
        ("开设非遗手工课", "很多居民想学蜀绣、竹编等手艺。", "请非遗传承人每月来上一次课。", (10000, 30000)),
    ],
    "parking_traffic": [
        ("规范非机动车停放区", "共享单车和电动车乱停，堵住人行道。", "划定停放区，加装车棚和地锁。", (10000, 50000)),
        ("小区出入口人车分流", "大门口人车混行，上下学高峰很危险。", "增设人行通道和栏杆，实现人车分流。", (30000, 90000)),
        ("修补坑洼路面", "小区内道路坑洼，下雨积水。", "对主要道路进行修补，改善排水。", (20000, 100000)),
        ("增设减速带", "车辆在小区内开得太快。", "在转角和出入口增设减速带和警示牌。", (3000, 10000)),
    ],
    "conventions": [
        ("修订院落居民公约", "现行公约是十年前定的，很多条款不适用了。", "组织居民议事会逐条讨论修订。", (0, 3000)),
        ("制定文明养宠公约", "遛狗不拴绳、不清理粪便的问题突出。", "制定养宠公约，设立宠物便便箱。", (2000, 8000)),
        ("共有资金收支定期公示", "居民不清楚停车费、广告费收入用在了哪里。", "每季度在公示栏和群里公示共有资金收支。", (0, 2000)),
        ("成立楼栋自管小组", "楼栋卫生和安全没人牵头。", "每栋推选一名楼栋长，组建自管小组。", (0, 5000)),
    ],
    "other": [
        ("设立便民修理点", "修伞、修鞋、配钥匙要跑很远。", "每周在活动中心门口设一次便民修理点。", (2000, 10000)),
        ("建立邻里互助群", "有困难的居民找不到人帮忙。", "建立邻里互助群，登记可提供帮助的志愿者。", (0, 2000)),
    ],
}
WHY = [
    "涉及全院 {households} 户居民的日常生活。",
    "老人和孩子每天都要经过这里。",
    "这个问题已经反映过多次，一直没有解决。",
    "解决了能让院落更安全、更有人情味。",
    "",
]
CATEGORY_WEIGHTS = {"facilities": 24, "greening": 15, "safety": 14, "elderly_children": 16, "culture": 10, "parking_traffic": 12, "conventions": 6, "other": 3}
CHANNEL_WEIGHTS = {"tablet": 30, "grid_visit": 25, "paper": 10, "wechat": 15, "survey": 8, "liaison_station": 6, "new_employment": 4, "enterprise": 2}
START = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def _point_in(rng: random.Random, polygon) -> tuple[float, float]:
    from shapely.geometry import Point

    minx, miny, maxx, maxy = polygon.bounds
    inner = polygon.buffer(-0.0002) if polygon.buffer(-0.0002).area > 0 else polygon
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if inner.contains(Point(x, y)):
            return round(x, 6), round(y, 6)
    p = polygon.representative_point()
    return round(p.x, 6), round(p.y, 6)


SURNAMES = "王李张刘陈杨黄赵吴周"


def _contact(rng: random.Random) -> str:
    """A fictional name and mobile number for about a third of the demo proposals (private:
    shown to staff only; notices mask it as 王** / 138****0000)."""
    if rng.random() >= 0.35:
        return ""
    name = rng.choice(SURNAMES) + rng.choice("秀英建国丽华志强桂芳晓明")
    return f"{name} 1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"


def demo_drafts(district, seed: int = SEED, count: int = COUNT) -> list[tuple[Draft, str, str]]:
    """(draft, receipt code, created time) for every demo proposal, deterministically."""
    from toolkit.proposals import new_receipt_code

    rng = random.Random(seed)
    people = random.Random(seed + 1)  # contacts on their own stream: the proposals stay as they were
    compounds = district.compounds.sort_values("id").reset_index(drop=True)
    cats, cat_w = zip(*CATEGORY_WEIGHTS.items())
    chans, chan_w = zip(*CHANNEL_WEIGHTS.items())
    out = []
    seconds = int(timedelta(days=182).total_seconds())
    times = sorted(rng.randrange(seconds) for _ in range(count))
    for i in range(count):
        row = compounds.iloc[rng.randrange(len(compounds))]
        category = rng.choices(cats, cat_w)[0]
        title, problem, suggestion, (lo, hi) = rng.choice(IDEAS[category])
        channel = rng.choices(chans, chan_w)[0]
        poly = row.geometry
        kind = rng.random()
        geometry: dict | None
        compound_id = None
        if channel in ("paper", "wechat") and kind < 0.3:
            geometry, compound_id = None, str(row.id)  # no location: compound chosen by hand
        elif kind > 0.93:
            a, b = _point_in(rng, poly), _point_in(rng, poly)
            geometry = {"type": "LineString", "coordinates": [list(a), list(b)]}
        else:
            geometry = {"type": "Point", "coordinates": list(_point_in(rng, poly))}
        cost = None if hi == 0 or rng.random() < 0.15 else rng.randrange(lo // 500, hi // 500 + 1) * 500 * 100
        draft = Draft(
            submission_id=f"demo-{seed}-{i + 1:04d}",
            title=title if rng.random() < 0.6 else f"{row['name']}{title}",
            problem=problem,
            why=rng.choice(WHY).format(households=int(row.households)),
            suggestion=suggestion,
            category=category,
            channel=channel,
            geometry=geometry,
            compound_id=compound_id,
            cost_fen=cost,
            contact=_contact(people),
            lang="zh",
        )
        created = (START + timedelta(seconds=times[i])).isoformat(timespec="milliseconds")
        out.append((draft, new_receipt_code(rng), created))
    return out


def build_demo_database(db: str | Path | None = None, *, force: bool = False, seed: int = SEED, count: int = COUNT, loop: bool = False) -> str:
    """Create (or with ``force`` rebuild) the demo database; return a one-line summary. With
    ``loop`` (``linli demo`` does it), carry it on through the loop (:func:`extend_through_the_loop`)."""
    from toolkit.proposals import check
    from toolkit.settings import load_settings
    from toolkit.store.core import database_url
    from toolkit.workspace import open_workspace

    target = db if db is not None else load_settings().db
    url = database_url(target)
    if force and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    ws = open_workspace(target)
    existing = ws.store.count_proposals()
    if existing and not force:
        return f"{url}: already has {existing} proposals; use --force to rebuild"
    added = 0
    for draft, code, created in demo_drafts(ws.district, seed, count):
        stored = ws.store.add_proposal(check(draft, ws.rules, ws.district), actor="demo", receipt_code=code, created_at=created)
        added += stored.created
    summary = f"{url}: {added} demo proposals in {len(ws.district.compounds)} compounds ({ws.store.count_proposals()} in all)"
    if loop:
        summary += "; " + extend_through_the_loop(ws, seed)
    return summary


# -- the loop: screened, voted, implemented, accepted, fed back, publicly noticed (issue 12) ------
KIND_BY_CATEGORY = {"facilities": "shared_space", "greening": "environment", "safety": "safety", "elderly_children": "group_services",
                    "culture": "culture", "conventions": "conventions", "parking_traffic": "shared_space", "other": "others_duty"}
IMPLEMENTERS = ("锦东建设有限公司", "蓉城园林绿化公司", "社区社会组织“邻里帮”", "院落自管小组")


def extend_through_the_loop(ws, seed: int = SEED) -> str:
    """Carry the demo proposals through the loop, deterministically: the older two thirds are
    screened (some excluded and redirected), one budget round per busy community is voted and
    closed, funded projects get an implementer and milestones, some are accepted and maintained
    and rated, half the feedback is delivered, notices are published and objections answered."""
    from datetime import date

    from toolkit.labels import Label
    from toolkit.rounds import Approval, Fund, Project, RoundSettings
    from toolkit.screening import follow_up, load_screening_rules, load_triage_rules, screen
    from toolkit.services import feedback, notices, projects
    from toolkit.store.feedback import mark_delivered, messages_frame, rate
    from toolkit.store.projects import projects_frame
    from toolkit.voting import cast, close_round, create_round, issue_codes

    rng = random.Random(seed + 2)
    store = ws.store
    frame = store.proposals_frame().sort_values("id")
    if store.screening_frame().shape[0]:
        return "the loop is already there"
    rules, triage = load_screening_rules(), load_triage_rules()
    screened = frame.iloc[: len(frame) * 2 // 3]
    for r in screened.itertuples():
        kind = "beyond_powers" if rng.random() < 0.12 else KIND_BY_CATEGORY[r.category]
        decision = screen(str(r.id), kind, rules)
        store.record_screening(int(r.id), decision, follow_up(decision, date.fromisoformat(r.created_at[:10]), triage), actor="demo")
        feedback.after_screening(store, int(r.id))
    decided = store.screening_frame()
    deliberated = set(decided[decided.outcome == "deliberated"].proposal_id)
    pool = screened[screened.id.isin(deliberated) & screened.cost_fen.notna() & (screened.cost_fen > 0)]
    busy = pool.groupby("community_id").size().sort_values(ascending=False)
    rounds = []
    for community_id in [c for c, n in busy.items() if n >= 4][:3]:
        mine = pool[pool.community_id == community_id].head(6)
        cost = [int(c) for c in mine.cost_fen]
        budget = max(max(cost), sum(sorted(cost)[: max(2, len(cost) // 2)])) + 100_00  # every candidate within the fund
        name = f"{mine.community_name.iloc[0]}微更新"
        candidates = tuple(Project(f"P{int(r.id):04d}", Label(r.title, r.title), int(r.cost_fen), Label(r.problem, r.problem), (r.lon, r.lat) if r.lon == r.lon else None)
                           for r in mine.itertuples())
        settings = RoundSettings(f"demo-{community_id}", Label(name, f"{community_id} small works"), candidates,
                                 (Fund("shared", Label("共有资金", "Shared income"), budget),), Approval(min_picks=1), rule="greedy-votes")
        rid = create_round(store, settings, scrypt_n=2**10, proposal_ids={f"P{int(r.id):04d}": int(r.id) for r in mine.itertuples()})
        codes = issue_codes(store, rid, 30)
        store.set_round_status(rid, "open")
        for i, code in enumerate(codes[: rng.randrange(18, 28)]):
            picks = [p.id for p in candidates if rng.random() < 0.45] or [rng.choice(candidates).id]
            cast(store, rid, code, {"projects": picks}, submission_id=f"demo-ballot-{rid}-{i:03d}")
        close_round(store, rid)
        rounds.append(rid)
    followed = projects_frame(store)
    for i, p in enumerate(followed.itertuples()):
        pid = int(p.id)
        budget = int(p.budget_fen)
        projects.set_implementer(store, pid, IMPLEMENTERS[i % len(IMPLEMENTERS)], actor="demo")
        steps = i % 4  # 0: just funded, 1: started, 2: accepted, 3: accepted and maintained
        if steps >= 1:
            projects.add_milestone(store, pid, "材料进场、开工", "2026-10-12", 30, budget * 3 // 10, actor="demo", title_en="Materials on site, work started")
        if steps >= 2:
            projects.add_milestone(store, pid, "主体完工", "2026-11-02", 100, budget * 9 // 10, actor="demo", title_en="Main works finished")
            projects.review(store, pid, "acceptance", passed=True, score=round(7 + rng.random() * 2.5, 2), on_date="2026-11-10", actor="demo")
            rate(store, int(p.proposal_id), rng.choice((3, 4, 4, 5, 5)))
        if steps >= 3:
            projects.start_maintenance(store, pid, "院落自管小组", 30, actor="demo")
            projects.record_check(store, pid, "2026-11-25", "楼栋长", actor="demo")
    msgs = messages_frame(store)
    mark_delivered(store, [int(m) for m in msgs.id if rng.random() < 0.5], by="网格员", channel="slip")
    published = 0
    days = sorted(set(store.screening_frame().decided_at.str[:10]))
    if days:
        published += bool(notices.publish_screening(store, date.fromisoformat(days[-1]), actor="demo"))
    for rid in rounds:
        nid = notices.publish_round(store, rid, actor="demo")
        published += 1
        code = frame[frame.id.isin(deliberated)].receipt_code.iloc[0]
        oid = notices.raise_objection(store, nid, "为什么我们院落的建议没有进入这一轮？", code=code)
        notices.answer(store, oid, "这一轮只包括本社区已报价的建议；您的建议已列入下一轮候选。", by="社区两委")
    for p in projects_frame(store).itertuples():
        if p.state in ("accepted", "maintenance"):
            notices.publish_acceptance(store, int(p.id), actor="demo")
            published += 1
    return (f"loop: {len(decided)} screened, {len(rounds)} rounds closed, {len(followed)} projects followed, "
            f"{len(messages_frame(store))} feedback messages, {published} notices")

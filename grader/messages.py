"""The fixed words of the learner's feedback, in English and Chinese.

Every sentence the kit itself says to a learner (not the check-specific ones)
is one catalogue entry: a key, an English template and a Chinese template.
Code that writes feedback formats the English template (`text`), so reports,
JSON and JUnit files stay in one language for instructors; a learner's
screen is translated when it is drawn (`translate`), line by line: a line
that matches an entry's English template is re-formatted with its Chinese
template, fields kept as they are. Lines written elsewhere in the kit (the
sandbox's "is not implemented yet", the runner's "failing input") are
catalogued with their exact English wording, so they translate too.

The language is chosen by `resolve_lang`: an explicit choice, else
NNLAB_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG starting with "zh").
"""

from __future__ import annotations

import os
import re
import string
from functools import cache

LANGS = ("en", "zh")

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- checking.py
    "not_array": ("{what} should be an array, got {type}", "{what} 应该是数组，实际是 {type}"),
    "not_numbers": (
        "{what} should hold numbers, got an array of dtype {dtype}",
        "{what} 应该包含数值，实际是 dtype 为 {dtype} 的数组",
    ),
    "wrong_shape": (
        "{what} has shape {got}, expected {expected}",
        "{what} 的形状是 {got}，应为 {expected}",
    ),
    "values_differ": (
        "{what} has the right shape {shape} (dtype {dtype}), but {bad} of {size} values differ",
        "{what} 的形状 {shape} 正确（dtype 为 {dtype}），但 {size} 个值中有 {bad} 个不对",
    ),
    "int_dtype": (
        "the values are integers (dtype {dtype}): was a float result rounded or truncated?",
        "结果是整数（dtype 为 {dtype}）：浮点结果是否被取整或截断了？",
    ),
    "value_differs": ("{what} is {got}, expected {expected}", "{what} 是 {got}，应为 {expected}"),
    "errors": (
        "max abs error {abs}, max rel error {rel}",
        "最大绝对误差 {abs}，最大相对误差 {rel}",
    ),
    "abs_error": ("max abs error {abs}", "最大绝对误差 {abs}"),
    "worst": (
        "worst element at index {index}: got {got}, expected {expected}",
        "误差最大的元素在索引 {index}：实际 {got}，应为 {expected}",
    ),
    "window": (
        "expected (left) and got (right) around it, {window}:",
        "它附近的期望值（左）与实际值（右），{window}：",
    ),
    "not_float": (
        "{what} should be floating point, got dtype {dtype}",
        "{what} 应该是浮点数，实际 dtype 为 {dtype}",
    ),
    # ---------------------------------------------------------------- mistakes.py
    "several_mistakes": (
        "this input cannot tell which of these it is:",
        "这个输入无法分辨是以下哪一种：",
    ),
    "mistake_item": ("- {mistake}", "- {mistake}"),
    "flipped_kernel": (
        "looks like the kernel was flipped: convolution in deep learning is cross-correlation, "
        "use w as it is",
        "看起来卷积核被翻转了：深度学习中的卷积其实是互相关，直接使用 w，不要翻转",
    ),
    "same_wrong_side": (
        "SAME padding put on the wrong side: TensorFlow puts total // 2 zeros before "
        "(top/left) and the odd one after (bottom/right)",
        "SAME 填充放错了一侧：TensorFlow 在前面（上/左）放 total // 2 个，"
        "多出的那一个放在后面（下/右）",
    ),
    "softmax_overflow": (
        "softmax overflowed: exp of a large logit is inf and inf / inf is NaN; subtract each "
        "row's maximum before exponentiating",
        "softmax 溢出了：大的 logit 取指数得到 inf，而 inf / inf 是 NaN；"
        "取指数前先减去每行的最大值",
    ),
    "overflow": (
        "NaN or inf where the answer is finite: an overflow, e.g. exp of a large number?",
        "答案是有限值的地方出现了 NaN 或 inf：溢出了，比如对很大的数取了指数？",
    ),
    "sign_flipped": (
        "every value has the wrong sign: got is exactly -expected",
        "每个值的符号都反了：结果正好是期望值的相反数",
    ),
    "transposed": (
        "looks transposed: the transpose of got is the expected answer",
        "看起来被转置了：结果转置之后才是期望的答案",
    ),
    "axes_swapped": (
        "the axes are in the wrong order: got is the expected answer transposed with {perm}",
        "轴的顺序不对：结果等于期望答案按 {perm} 转置",
    ),
    "batch_too_large": (
        "every value is {factor} times too large, and {factor} is the batch size: "
        "divide by it (a mean over the batch, not a sum)",
        "每个值都大了 {factor} 倍，而 {factor} 正是批量大小：应除以它（对批次取平均，而不是求和）",
    ),
    "batch_too_small": (
        "every value is {factor} times too small, and {factor} is the batch size: "
        "was it divided by the batch size once too often?",
        "每个值都小了 {factor} 倍，而 {factor} 正是批量大小：是不是多除了一次批量大小？",
    ),
    "too_large": (
        "every value is {factor} times too large: a constant factor is extra or missing",
        "每个值都大了 {factor} 倍：多了或少了一个常数因子",
    ),
    "too_small": (
        "every value is {factor} times too small: a constant factor is extra or missing",
        "每个值都小了 {factor} 倍：多了或少了一个常数因子",
    ),
    "scaled": (
        "every value is off by the same factor {factor}",
        "每个值都差了同一个倍数 {factor}",
    ),
    # ---------------------------------------------------------------- sandbox (client.py)
    "not_implemented": (
        "`{name}` is not implemented yet (it raises NotImplementedError)",
        "`{name}` 还没有实现（它仍然抛出 NotImplementedError）",
    ),
    "raised": ("`{name}` raised {kind}: {message}", "`{name}` 抛出了 {kind}：{message}"),
    "raised_bare": ("`{name}` raised {kind}", "`{name}` 抛出了 {kind}"),
    "import_failed": (
        "{file} could not be imported: {kind}: {message}",
        "{file} 无法导入：{kind}：{message}",
    ),
    "at_line_in": (
        "  at line {line}, in {function}: {code}",
        "  位置：第 {line} 行，{function} 中：{code}",
    ),
    "at_line": ("  at line {line}: {code}", "  位置：第 {line} 行：{code}"),
    "missing_name": ("{file} does not define `{name}`", "{file} 没有定义 `{name}`"),
    "timed_out": (
        "{what} did not finish within {limit} s (an endless loop?)",
        "{what} 没有在 {limit} 秒内完成（死循环？）",
    ),
    "forbidden_call": (
        "your code tried to import {names}: exercises use NumPy only",
        "你的代码试图导入 {names}：练习只能使用 NumPy",
    ),
    # ---------------------------------------------------------------- runner.py
    "failing_input": ("failing input: {example}", "出错的输入：{example}"),
    "internal_error": (
        "internal error in the grader's check: {error}",
        "评分程序的检查内部出错：{error}",
    ),
    "forbidden_module": (
        "{file} imports {names}: exercises must be written with NumPy only, so this exercise "
        "earns 0 points",
        "{file} 导入了 {names}：练习只能用 NumPy 完成，所以本练习得 0 分",
    ),
    # ---------------------------------------------------------------- report.py
    "reproduce": (
        "smallest failing input found (paste into Python to reproduce):",
        "找到的最小出错输入（粘贴到 Python 中即可复现）：",
    ),
    "hint": ("hint: {hint}", "提示：{hint}"),
    "hint_line": ("Hint: {hint}", "提示：{hint}"),
    "title": ("Exercise {number}: {title}", "练习 {number}：{title}"),
    "score": (
        "Score: {score}/{max_score}  ({seconds} s)",
        "得分：{score}/{max_score}（{seconds} 秒）",
    ),
    "wrote": ("wrote {path}", "已写入 {path}"),
    "same_as_above": ("(same as above)", "（同上）"),
    "column_check": ("check", "检查"),
    "column_points": ("points", "分数"),
    "column_status": ("status", "状态"),
    "column_message": ("message", "说明"),
    "status_passed": ("passed", "通过"),
    "status_failed": ("failed", "未通过"),
    "status_error": ("error", "出错"),
    "status_timeout": ("timeout", "超时"),
    # ---------------------------------------------------------------- hints, progress, watch
    "hint_header": (
        "Exercise {number}: {title}, hint {shown} of {total}",
        "练习 {number}：{title}，提示 {shown}/{total}",
    ),
    "hint_more": (
        "{left} more: run `grade hint {number}` again",
        "还有 {left} 条：再次运行 `grade hint {number}`",
    ),
    "hint_all_shown": ("all {total} hints are shown", "全部 {total} 条提示都已显示"),
    "hint_reset": (
        "the hints of exercise {number} are hidden again",
        "练习 {number} 的提示已重新隐藏",
    ),
    "list_title": ("nnlab exercises", "nnlab 练习"),
    "column_exercise": ("exercise", "练习"),
    "column_file": ("file", "文件"),
    "column_best": ("best/points", "最好成绩/满分"),
    "missing": ("missing", "缺失"),
    "ready": ("ready", "可评分"),
    "not_available": ("not available yet", "尚未开放"),
    "next": ("next to do", "下一个"),
    "progress_unreadable": (
        "{path} could not be read ({error}): starting a fresh progress file",
        "无法读取 {path}（{error}）：将重新记录进度",
    ),
    "reset_done": (
        "restored the stub of exercise {number} into {file}; your version is saved as {backup}",
        "已把练习 {number} 的初始代码恢复到 {file}；你的版本已保存为 {backup}",
    ),
    "reset_fresh": (
        "restored the stub of exercise {number} into {file}",
        "已把练习 {number} 的初始代码恢复到 {file}",
    ),
    "reset_refused": (
        "{file} is the kit's own stub: there is nothing to reset",
        "{file} 就是课程自带的初始代码：无需重置",
    ),
    "no_stub": (
        "the kit has no stub for exercise {number} ({file})",
        "课程中没有练习 {number} 的初始代码（{file}）",
    ),
    "watching": (
        "watching {file}: save it to grade again, `grade hint {number}` for a hint, Ctrl-C to stop",
        "正在监视 {file}：保存即重新评分，`grade hint {number}` 查看提示，Ctrl-C 退出",
    ),
    "grading": ("grading exercise {number}...", "正在为练习 {number} 评分……"),
    "grading_check": (
        "grading exercise {number}: check {done}/{total}, {check}",
        "正在为练习 {number} 评分：检查 {done}/{total}，{check}",
    ),
    "moved_on": (
        "Exercise {number} passes ({score}/{max_score}). On to exercise {next}!",
        "练习 {number} 全部通过（{score}/{max_score}）。进入练习 {next}！",
    ),
    "course_done": (
        "Every exercise passes: you have built the whole network. Well done!",
        "所有练习都已通过：你已经亲手搭建了整个网络。干得漂亮！",
    ),
    "stopped": ("stopped watching", "已停止监视"),
}


def text(key: str, lang: str = "en", **fields) -> str:
    """The catalogue entry `key` in `lang` ("en" or "zh"), formatted with `fields`."""
    english, chinese = CATALOGUE[key]
    return (chinese if lang == "zh" else english).format(**fields)


def translate(message: str, lang: str) -> str:
    """`message` with every line that matches a catalogue entry put into `lang`.

    Lines that match no entry (the check-specific sentences, numbers) are kept.
    """
    if lang != "zh" or not message:
        return message
    return "\n".join(_translate_line(line) for line in message.split("\n"))


_NESTED_FIELDS = frozenset({"mistake"})
"""Fields that hold another catalogue sentence (an item of a list of mistakes)."""


def _translate_line(line: str) -> str:
    for pattern, chinese in _patterns():
        match = pattern.fullmatch(line)
        if match:
            fields = match.groupdict()
            for name in _NESTED_FIELDS & fields.keys():
                fields[name] = _translate_line(fields[name])
            return chinese.format(**fields)
    return line


@cache
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """Each entry's English template as a regular expression, with its Chinese template."""
    compiled = []
    for english, chinese in CATALOGUE.values():
        parts, seen = [], set()
        for literal, field, _, _ in string.Formatter().parse(english):
            parts.append(re.escape(literal))
            if field is None:
                continue
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
            seen.add(field)
        compiled.append((re.compile("".join(parts)), chinese))
    return tuple(compiled)


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: `lang` if given, else $NNLAB_LANG, else the locale's.

    The locale's is "zh" when the first set of LC_ALL, LC_MESSAGES, LANG
    starts with "zh" (e.g. zh_CN.UTF-8), else "en".
    """
    for choice in (lang, os.environ.get("NNLAB_LANG")):
        if choice:
            return choice if choice in LANGS else "en"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


_HYPOTHESIS_COMMENT = re.compile(r",?\s*# or any other generated value")


def paste_ready(example: str) -> list[str]:
    """Python lines that rebuild a failing input, from the runner's `name=value, ...` text.

    A value that is itself `name=value` pairs (an object whose repr lists its
    arguments, like the convolution checks' cases) is unpacked into its
    parts. NumPy reprs get their `np.` prefix, so the lines run after
    `import numpy as np`. Returns [] when the text cannot be split.
    """
    example = _HYPOTHESIS_COMMENT.sub("", example).strip()
    pairs = _split_arguments(example)
    if not pairs:
        return []
    lines = ["import numpy as np"]
    for name, value in pairs:
        lines.append(f"{name} = {_numpy_prefixed(value)}")
    return lines


def _split_arguments(example: str) -> list[tuple[str, str]]:
    """`a=1, b=array([1, 2])` -> [("a", "1"), ("b", "array([1, 2])")], at bracket depth 0."""
    pieces, depth, start, quote = [], 0, 0, ""
    for i, char in enumerate(example):
        if quote:
            quote = "" if char == quote and example[i - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(example[start:i])
            start = i + 1
    pieces.append(example[start:])
    pairs: list[tuple[str, str]] = []
    for piece in (p.strip() for p in pieces):
        # "case=x=array(...)": an object listing its own arguments; keep the inner name.
        while re.match(r"^\w+=(?!=)\w+=(?!=)", piece):
            piece = piece.split("=", 1)[1]
        match = re.match(r"^(\w+)=(?!=)(.*)$", piece, re.DOTALL)
        if not match:
            return []
        pairs.append((match.group(1), match.group(2).strip()))
    return pairs


def _numpy_prefixed(value: str) -> str:
    """A NumPy repr made runnable after `import numpy as np`."""
    value = re.sub(r"(?<![\w.])array\(", "np.array(", value)
    value = re.sub(r"dtype=(\w+)", r"dtype=np.\1", value)
    value = re.sub(r"(?<![\w.'\"])(inf|nan)(?![\w'\"])", r"np.\1", value)
    return re.sub(r"(?<![\w.])(float64|float32|int64|int32|bool_)\(", r"np.\1(", value)

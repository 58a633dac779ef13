"""import-linter contract `acyclic_modules`: no import cycle between any two modules."""

# import-linter's `acyclic_siblings` compares the children of a package with one another, never
# a package with its own submodules, so it misses the commonest cycle of all: a package's
# `__init__.py` that imports its submodule, which imports the package back.

from collections.abc import Iterable, Mapping
from itertools import pairwise

import grimp
from importlinter.application import output
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    """No chain of imports leads from a module of the root packages back to itself."""

    type_name = "acyclic_modules"

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        roots = tuple(self.session_options["root_packages"])
        modules = {
            module
            for module in graph.modules
            if any(module == root or module.startswith(f"{root}.") for root in roots)
        }
        imports = {
            module: graph.find_modules_directly_imported_by(module) & modules for module in modules
        }
        cycles = [_a_shortest_cycle(graph, group) for group in _groups_in_cycles(imports)]
        return ContractCheck(
            kept=not cycles,
            warnings=[],
            metadata={"cycles": [_described(graph, cycle) for cycle in sorted(cycles)]},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(f"Import cycle: {cycle[0][0]} imports itself through")
            output.new_line()
            for importer, imported, lines in cycle:
                output.print_error(f"- {importer} -> {imported} ({lines})", bold=False)
            output.new_line()


def _groups_in_cycles(imports: Mapping[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(imports[module]):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return groups


def _a_shortest_cycle(graph: grimp.ImportGraph, group: set[str]) -> tuple[str, ...]:
    """A shortest cycle through the first module of the group, as the modules in order."""
    start = min(group)
    candidates = []
    for imported in sorted(graph.find_modules_directly_imported_by(start) & group):
        chain = graph.find_shortest_chain(importer=imported, imported=start)
        if chain is not None:
            candidates.append((start, *chain))
    return min(candidates, key=len)


def _described(graph: grimp.ImportGraph, cycle: Iterable[str]) -> list[tuple[str, str, str]]:
    """Each import of the cycle, with the lines it is on."""
    steps = []
    for importer, imported in pairwise(cycle):
        details = graph.get_import_details(importer=importer, imported=imported)
        lines = ", ".join(f"l.{detail['line_number']}" for detail in details) or "no line"
        steps.append((importer, imported, lines))
    return steps

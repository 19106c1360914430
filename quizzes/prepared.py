"""ORM queries compiled once per process and run again with new values.

On the hottest pages and writes (the dashboard, the attempt page, saving an
answer) building and compiling a queryset costs the app server several times
the CPU that PostgreSQL spends running it. A `PreparedQuery` builds its
queryset once per database connection (a thread's own), keeps the SQL and the
compiler, and afterwards only substitutes the parameters, runs the SQL and
turns the rows into what the queryset would have given: tuples for
`values_list()`, model instances (with `select_related` objects and
annotations) otherwise, through the ORM's own converters and populators.
"""

from django.db import connections
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

# Stand-ins for the parameters while the query is compiled, twice: small
# positive numbers that any integer column may hold (the ORM drops a lookup
# of a value out of its column's range). A parameter is where the two
# compilations differ, by the stand-ins; a constant of the query never does.
_FIRST, _SECOND = 10_007, 20_011
ID_RANGE = (-(2**63), 2**63 - 1)  # what a 64-bit id column can hold


class PreparedQuery:
    """`build(*markers)` returns a queryset (model instances or `values_list()`)
    in which each marker stands for one parameter: an id, or a string where its
    position is in `text` (a slug); calling the prepared query with the real
    values returns the list the queryset would. `arity` is the number of
    parameters, if `build` takes `*args`.

    The SQL is fixed when first compiled: a query whose SQL depends on the
    moment or the active time zone (`__date`, `Now()`, `timezone.now()`) must
    not be prepared; nor one using prefetch_related (refused).

    >>> progress = PreparedQuery(lambda user_id: LessonProgress.objects
    ...     .filter(user_id=user_id).values_list("lesson_id", "completed_at"))
    >>> progress(request.user.pk)
    """

    def __init__(self, build, arity=None, text=()):
        self.build = build
        self.arity = build.__code__.co_argcount if arity is None else arity
        self.text = frozenset(text)

    def __call__(self, *values, using="default"):
        connection = connections[using]
        # Kept on the connection (a thread's own), and gone with it.
        prepared = connection.__dict__.setdefault("_prepared_queries", {})
        compiled = prepared.get(self)
        if compiled is None:
            compiled = prepared[self] = _Compiled(self, connection)
        return compiled.run(connection, values)


class _Compiled:
    def __init__(self, prepared, connection):
        build, arity, self.text = prepared.build, prepared.arity, prepared.text
        if arity > 1000:
            raise ValueError("too many parameters to prepare")
        # A text stand-in holds LIKE's wildcards: a lookup that would escape
        # them (iexact, contains) changes it, and is refused below.
        first = [f"\x1fparameter {n}" if n in self.text else _FIRST + 2 * n for n in range(arity)]
        second = [f"\x1f%_\\ {n}" if n in self.text else _SECOND + 2 * n for n in range(arity)]
        queryset = build(*first)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("prefetch_related and related managers are not prepared")
        query = queryset.query
        self.locks = query.select_for_update
        self.compiler = query.get_compiler(connection=connection)
        self.sql, params = self.compiler.as_sql()
        other_sql, other_params = build(*second).query.get_compiler(connection=connection).as_sql()
        if other_sql != self.sql or len(other_params) != len(params):
            raise ValueError("the query's SQL depends on its parameters")
        self.params = list(params)
        self.slots = []
        for n in range(arity):
            found = [
                i for i, (a, b) in enumerate(zip(params, other_params, strict=True))
                if (a, b) == (first[n], second[n])
            ]
            if not found:
                raise ValueError(f"parameter {n} is not in {self.sql}")
            self.slots.append(found)
        compiler = self.compiler
        selected = [column for column, _, _ in compiler.select[:compiler.col_count]]
        if compiler.has_extra_select or compiler.has_composite_fields(selected):
            raise ValueError("DISTINCT with ordering, or composite keys: not prepared")
        self.converters = compiler.get_converters(selected)
        self.instances = queryset._iterable_class is ModelIterable
        if not self.instances and (
            queryset._iterable_class is not ValuesListIterable
            or query.extra_select or query.annotation_select
        ):
            raise ValueError("only model instances or a plain values_list() are prepared")
        if self.instances:  # as ModelIterable does, once
            klass_info = compiler.klass_info
            self.model = klass_info["model"]
            fields = klass_info["select_fields"]
            self.start, self.end = fields[0], fields[-1] + 1
            self.init_list = [f[0].target.attname for f in compiler.select[self.start:self.end]]
            self.populators = get_related_populators(klass_info, compiler.select, connection.alias)
            self.annotations = compiler.annotation_col_map

    def run(self, connection, values):
        if self.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update needs a transaction.")
        params = self.params.copy()
        for n, (slots, value) in enumerate(zip(self.slots, values, strict=True)):
            value = (value if isinstance(value, str) else None) if n in self.text else (
                _as_id(value)
            )
            if value is None:
                return []  # no row has such a value (an id "abc", or 2**64)
            for slot in slots:
                params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if not self.instances:
            return [tuple(row) for row in rows]
        objects = []
        for row in rows:
            obj = self.model.from_db(connection.alias, self.init_list, row[self.start:self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def _as_id(value):
    """An int a 64-bit id column can hold, from an int or its digits; else None."""
    if isinstance(value, str) and value.isascii() and value.removeprefix("-").isdigit():
        value = int(value)
    if type(value) is not int or not ID_RANGE[0] <= value <= ID_RANGE[1]:
        return None
    return value

using System.Reflection;
using System.Runtime.CompilerServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Compiles ahead the code an async method runs only when one of its awaits first suspends. With tiered compilation off
/// every method is compiled, optimized, at its first call while the caller waits; an async method that completed
/// synchronously so far has run only its state machine's <c>MoveNext</c>. Its first suspension then compiles the
/// runtime's generic plumbing instantiated for that state machine: the builder's <c>GetStateMachineBox</c> and
/// <c>AwaitUnsafeOnCompleted</c> for the awaiter's type, and the box the machine moves into (its <c>MoveNext</c>, the
/// execution-context callback, the value-task source's methods). Kestrel's precompiled code (ReadyToRun) does not hold
/// them either: they are instantiated over the application's and Kestrel's types. Compiling them
/// (<see cref="RuntimeHelpers.PrepareMethod(RuntimeMethodHandle, RuntimeTypeHandle[])"/>) runs none of the method's code.
/// </summary>
public static class SuspensionCode
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly Type VoidResult = typeof(Task).Assembly.GetType("System.Threading.Tasks.VoidTaskResult", throwOnError: true)!;

    /// <summary>The async methods declared by <paramref name="type"/> (those compiled into a state machine), generic ones left out.</summary>
    public static IEnumerable<MethodInfo> AsyncMethodsOf(Type type) =>
        type.GetMethods(Declared).Where(method => method.GetCustomAttribute<AsyncStateMachineAttribute>() is { StateMachineType.ContainsGenericParameters: false });

    /// <summary>The async method <paramref name="name"/> of the type <paramref name="typeName"/> in <paramref name="assembly"/> (a library's internal one), if there is such.</summary>
    public static IEnumerable<MethodInfo> AsyncMethodsNamed(Assembly assembly, string typeName, string name) =>
        assembly.GetType(typeName) is { } type ? AsyncMethodsOf(type).Where(method => method.Name == name) : [];

    /// <summary>Compiles what <paramref name="asyncMethod"/>'s first suspension would; returns how many methods that was.</summary>
    /// <param name="precompiled">
    /// The method is in a library compiled ahead (ReadyToRun, as ASP.NET Core's): its code cannot inline the runtime's
    /// builder methods, not even those marked for inlining, so they are compiled too.
    /// </param>
    public static int Prepare(MethodInfo asyncMethod, bool precompiled = false)
    {
        if (asyncMethod.GetCustomAttribute<AsyncStateMachineAttribute>()?.StateMachineType is not { ContainsGenericParameters: false } machine)
            return 0;
        var fields = machine.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        if (fields.FirstOrDefault(field => field.Name == "<>t__builder")?.FieldType is not { } builder) return 0;
        // The compiler keeps one field per awaiter type the method awaits: <>u__1, <>u__2, …
        var awaiters = fields.Where(field => field.Name.StartsWith("<>u__", StringComparison.Ordinal)).Select(field => field.FieldType).Distinct().ToArray();
        // The machine's own MoveNext ran (and was compiled) at the method's first call.
        var prepared = 0;
        foreach (var generic in BuildersBehind(builder))
        {
            // Those always inlined into the machine's MoveNext (compiled already) are never called on their own.
            foreach (var method in generic.GetMethods(Declared).Where(method => method.IsGenericMethodDefinition && (precompiled || !AlwaysInlined(method))))
            {
                var arguments = method.GetGenericArguments().Length;
                if (method.Name == "GetStateMachineBox" && arguments == 1) prepared += PrepareGeneric(method, [machine]);
                // The compiler calls AwaitUnsafeOnCompleted for every awaiter of the framework's (ICriticalNotifyCompletion).
                if (method.Name != "AwaitUnsafeOnCompleted") continue;
                foreach (var awaiter in awaiters)
                    prepared += PrepareGeneric(method, arguments == 2 ? [awaiter, machine] : [awaiter]);
            }

            prepared += PrepareBoxes(generic, machine);
        }

        return prepared;
    }

    private static bool AlwaysInlined(MethodInfo method) => (method.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) != 0;

    /// <summary>The builder and the generic one it hands its work to (<c>AsyncTaskMethodBuilder</c> to <c>AsyncTaskMethodBuilder&lt;VoidTaskResult&gt;</c>, …).</summary>
    private static IEnumerable<Type> BuildersBehind(Type builder)
    {
        yield return builder;
        var result = builder.IsGenericType ? builder.GetGenericArguments()[0] : VoidResult;
        if (builder == typeof(AsyncTaskMethodBuilder) || builder == typeof(AsyncValueTaskMethodBuilder)
            || (builder.IsGenericType && builder.GetGenericTypeDefinition() == typeof(AsyncValueTaskMethodBuilder<>)))
            yield return typeof(AsyncTaskMethodBuilder<>).MakeGenericType(result);
        if (builder == typeof(PoolingAsyncValueTaskMethodBuilder)) yield return typeof(PoolingAsyncValueTaskMethodBuilder<>).MakeGenericType(result);
    }

    /// <summary>
    /// The builder's box types for <paramref name="machine"/> (its nested types with one type parameter more), their bases
    /// nested in the same builder, and the generic structures they keep in fields (<c>ManualResetValueTaskSourceCore&lt;T&gt;</c>).
    /// </summary>
    private static int PrepareBoxes(Type builder, Type machine)
    {
        if (!builder.IsGenericType) return 0;
        var definition = builder.GetGenericTypeDefinition();
        var outer = builder.GetGenericArguments();
        var prepared = 0;
        foreach (var nested in definition.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
        {
            // The finalizable box is the debugger's (or an event listener's) only.
            if (!nested.IsGenericTypeDefinition || nested.GetGenericArguments().Length != outer.Length + 1 || nested.Name.StartsWith("Debug", StringComparison.Ordinal))
                continue;
            Type box;
            try
            {
                box = nested.MakeGenericType([.. outer, machine]);
            }
            catch (ArgumentException)
            {
                continue; // not a box: its parameter's constraints are not a state machine's
            }

            for (var type = box; type is not null && type.DeclaringType?.IsGenericType == true && type.DeclaringType.GetGenericTypeDefinition() == definition; type = type.BaseType)
            {
                prepared += PrepareAll(type, type.GetMethods(Declared));
                foreach (var field in type.GetFields(BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
                {
                    if (field.FieldType is { IsValueType: true, IsGenericType: true } kept && kept.Assembly == typeof(object).Assembly)
                        prepared += PrepareAll(kept, kept.GetMethods(Declared));
                }
            }
        }

        return prepared;
    }

    /// <summary>Compiles the non-generic, non-abstract <paramref name="methods"/> of <paramref name="type"/>, and runs its static constructor.</summary>
    private static int PrepareAll(Type type, IEnumerable<MethodInfo> methods)
    {
        RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        var prepared = 0;
        foreach (var method in methods)
        {
            if (method.IsAbstract || method.IsGenericMethodDefinition || AlwaysInlined(method) || method.Name == "get_DebuggerDisplay") continue;
            // A virtual method gets its entry point when first asked for it; before that PrepareMethod leaves it uncompiled.
            method.MethodHandle.GetFunctionPointer();
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
            prepared++;
        }

        return prepared;
    }

    /// <summary>Compiles the generic <paramref name="method"/> of a constructed type for <paramref name="arguments"/>, unless they break its constraints.</summary>
    private static int PrepareGeneric(MethodInfo method, Type[] arguments)
    {
        try
        {
            method.MakeGenericMethod(arguments);
        }
        catch (ArgumentException)
        {
            return 0; // an awaiter it does not take (not an ICriticalNotifyCompletion)
        }

        var type = method.DeclaringType!;
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition().GetMethods(Declared).Single(m => m.MetadataToken == method.MetadataToken) : method;
        var classArguments = type.IsGenericType ? type.GetGenericArguments() : [];
        RuntimeHelpers.PrepareMethod(definition.MethodHandle, [.. classArguments.Concat(arguments).Select(argument => argument.TypeHandle)]);
        return 1;
    }
}

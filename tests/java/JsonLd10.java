// Reads a JSON-LD document with jsonld-java in processing mode json-ld-1.0 and prints its
// triples as N-Quads. Compiled and run by tests/test_standards.py.
import java.io.FileInputStream;
import com.github.jsonldjava.core.JsonLdOptions;
import com.github.jsonldjava.core.JsonLdProcessor;
import com.github.jsonldjava.impl.NQuadTripleCallback;
import com.github.jsonldjava.utils.JsonUtils;

public class JsonLd10 {
    public static void main(String[] args) throws Exception {
        Object document = JsonUtils.fromInputStream(new FileInputStream(args[0]));
        JsonLdOptions options = new JsonLdOptions();
        options.setProcessingMode(JsonLdOptions.JSON_LD_1_0);
        System.out.print(JsonLdProcessor.toRDF(document, new NQuadTripleCallback(), options));
    }
}
